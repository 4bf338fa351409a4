"""Backend discovery and selection."""

import sys
import types
import warnings

import pytest

from payproc import hookimpl
from payproc.backend import load_backend
from payproc.discovery import installed_backends
from payproc.errors import (
    BackendNotFound,
    ConfigurationError,
    ContractMismatch,
    NotSupportedError,
    PayprocDeprecationWarning,
)
from payproc.settings import BackendSettings


@pytest.fixture
def only_fake(monkeypatch):
    """Whatever this environment has installed, the backends seen are the fake only."""
    from payproc import discovery

    fake = discovery.installed_backends()["fake"]
    monkeypatch.setattr(discovery, "installed_backends", lambda: {"fake": fake})


def test_unknown_backend_names_installed_ones_and_the_package(only_fake):
    with pytest.raises(BackendNotFound) as error:
        load_backend(BackendSettings(BACKEND="strype"))
    message = str(error.value)
    assert message == (
        "unknown payment backend 'strype'. Did you mean 'stripe'? It is not installed: pip install payproc-stripe "
        "(from a clone of the payproc repository: pip install -e plugins/payproc-stripe). Installed backends: fake"
    )


def test_a_first_party_backend_that_is_not_installed_says_so(only_fake):
    with pytest.raises(BackendNotFound) as error:
        load_backend(BackendSettings(BACKEND="razorpay"))
    message = str(error.value)
    assert message.startswith("payment backend 'razorpay' is not installed: pip install payproc-razorpay ")
    assert "pip install -e plugins/payproc-razorpay" in message and "Did you mean" not in message


def test_no_package_is_made_up_for_an_unknown_name(only_fake):
    with pytest.raises(BackendNotFound) as error:
        load_backend(BackendSettings(BACKEND="adyen"))
    assert str(error.value) == "unknown payment backend 'adyen'. Installed backends: fake"


def test_fake_is_listed_from_metadata():
    entry = installed_backends()["fake"]
    assert entry.distribution == "payproc-fake" and entry.version


def test_djaodjin_paths_map_to_entry_points_with_a_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()  # Python's default filters: the warning must pass them
        backend = load_backend(BackendSettings(BACKEND="saas.backends.fake_processor.FakeProcessorBackend"))
    assert backend.name == "fake"
    assert any(issubclass(w.category, PayprocDeprecationWarning) and "'fake'" in str(w.message) for w in caught)


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
