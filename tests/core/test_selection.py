"""Backend discovery and selection."""

import sys
import types
import warnings

import pytest

from payproc import hookimpl
from payproc.backend import load_backend
from payproc.discovery import installed_backends
from payproc.errors import BackendNotFound, ConfigurationError, ContractMismatch, NotSupportedError
from payproc.settings import BackendSettings


def test_unknown_backend_names_installed_ones_and_the_package():
    with pytest.raises(BackendNotFound) as error:
        load_backend(BackendSettings(BACKEND="strype"))
    message = str(error.value)
    assert "'strype'" in message and "fake" in message and "pip install payproc-stripe" in message


def test_fake_is_listed_from_metadata():
    entry = installed_backends()["fake"]
    assert entry.distribution == "payproc-fake" and entry.version


def test_djaodjin_paths_map_to_entry_points_with_a_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        backend = load_backend(BackendSettings(BACKEND="saas.backends.fake_processor.FakeProcessorBackend"))
    assert backend.name == "fake"
    assert any(issubclass(w.category, DeprecationWarning) and "'fake'" in str(w.message) for w in caught)


def _module_with(cls: type) -> str:
    module = types.ModuleType("payproc_test_backends")
    setattr(module, cls.__name__, cls)
    sys.modules[module.__name__] = module
    return f"{module.__name__}:{cls.__name__}"


class Minimal:
    name = "minimal"
    contract = ">=1.0,<2"
    unsupported = {"create_transfer": "no payouts on this processor"}

    @hookimpl
    def create_payment(self, request, reference):  # pragma: no cover - not called
        raise AssertionError


def test_module_class_path_and_not_supported_errors():
    backend = load_backend(BackendSettings(BACKEND=_module_with(Minimal)))
    assert backend.capabilities == {"create_payment"}
    with pytest.raises(NotSupportedError, match="does not support create_transfer: no payouts"):
        backend.call("create_transfer", provider=None, amount=1, currency="usd", descr=None, idempotency_key="k")


class FromTheFuture:
    contract = ">=2.0"


def test_contract_mismatch_is_clear():
    with pytest.raises(ContractMismatch, match=">=2.0"):
        load_backend(BackendSettings(BACKEND=_module_with(FromTheFuture)))


class Typo:
    contract = ">=1.0,<2"

    @hookimpl
    def create_paymnet(self, request):  # a hook the contract does not have
        raise AssertionError


def test_unknown_hookimpl_is_refused():
    with pytest.raises(ConfigurationError, match="unknown hook"):
        load_backend(BackendSettings(BACKEND=_module_with(Typo)))


def test_module_that_fails_to_import():
    with pytest.raises(BackendNotFound, match="cannot import"):
        load_backend(BackendSettings(BACKEND="payproc_does_not_exist:Backend"))
