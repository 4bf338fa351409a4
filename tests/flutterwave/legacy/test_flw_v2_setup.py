"""Loading, settings, capabilities, imports, and the harness protocol."""

from __future__ import annotations

import subprocess
import sys

import pytest
from payproc.backend import backend_capabilities
from payproc.errors import ConfigurationError
from payproc.testing.harness import BackendHarness
from payproc_flutterwave.legacy.backend import FlutterwaveV2Backend
from payproc_flutterwave_legacy_tests_fakeserver import PUB_KEY, SEC_KEY
from payproc_flutterwave_legacy_tests_harness import LEGACY_BACKEND


def test_the_legacy_backend_loads_by_its_class_path(backend):
    """No entry point of its own: ``payproc backends`` lists one Flutterwave
    backend (v3); settings select v2 by its ``module:Class`` path."""
    assert backend.name == LEGACY_BACKEND
    assert backend.backend_cls is FlutterwaveV2Backend
    assert backend.experimental is True
    assert backend.entry is None


def test_capabilities_match_the_harness_and_the_rest_is_explained(payproc_harness):
    implemented = backend_capabilities(FlutterwaveV2Backend)
    assert implemented == payproc_harness.capabilities
    from payproc.hookspecs import BACKEND_HOOKS

    missing = set(BACKEND_HOOKS) - implemented
    assert missing == set(FlutterwaveV2Backend.unsupported)
    assert all(reason for reason in FlutterwaveV2Backend.unsupported.values())


def test_unsupported_operation_names_its_reason(backend):
    from payproc.errors import NotSupportedError

    with pytest.raises(NotSupportedError, match="bank code"):
        backend.call("create_transfer", provider=None, amount=1, currency="ngn", descr=None, idempotency_key="k")


def test_harness_satisfies_the_protocol(payproc_harness):
    assert isinstance(payproc_harness, BackendHarness)


@pytest.mark.parametrize("missing", ["PUB_KEY", "PRIV_KEY"])
def test_keys_are_required(make_backend, missing):
    settings = {"BACKEND": LEGACY_BACKEND, "PUB_KEY": PUB_KEY, "PRIV_KEY": SEC_KEY}
    del settings[missing]
    with pytest.raises(ConfigurationError, match=missing):
        make_backend(settings)


def test_secrets_never_show(backend):
    shown = repr(backend.settings) + str(backend.settings) + repr(backend.impl.__dict__)
    assert SEC_KEY not in shown
    assert "a-secret-hash-only" not in shown


def test_environment_is_inferred_from_the_key():
    from payproc_flutterwave.legacy.settings import LegacySettings

    assert LegacySettings(PUB_KEY="FLWPUBK_TEST-x", PRIV_KEY="FLWSECK_TEST-x").api_base == \
        "https://ravesandboxapi.flutterwave.com/"
    assert LegacySettings(PUB_KEY="FLWPUBK-x", PRIV_KEY="FLWSECK-x").api_base == "https://api.flutterwave.com/"
    assert LegacySettings(PUB_KEY="p", PRIV_KEY="FLWSECK-x", PRODUCTION=False).production is False
    assert LegacySettings(PUB_KEY="p", PRIV_KEY="s", API_BASE="http://127.0.0.1:9").api_base == "http://127.0.0.1:9/"


def test_browser_integration(backend):
    integration = backend.call("browser_integration")
    assert integration.token_field == "stripeToken"
    assert integration.script_urls[0].startswith(backend.settings.api_base)


def test_importing_and_loading_does_not_import_the_sdk_or_other_processors():
    code = (
        "import sys\n"
        "import payproc_flutterwave, payproc_flutterwave.legacy.backend\n"
        "from payproc.backend import load_backend\n"
        "from payproc.settings import BackendSettings\n"
        "b = load_backend(BackendSettings(BACKEND='payproc_flutterwave.legacy:FlutterwaveV2Backend', PUB_KEY='p', PRIV_KEY='s',"
        " API_BASE='http://127.0.0.1:9/'), observers=False)\n"
        "bad = [m for m in ('rave_python', 'stripe', 'razorpay', 'requests') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.usefixtures("payproc_settings_env")
def test_the_legacy_v2_settings_from_the_environment(monkeypatch):
    from payproc.backend import load_backend
    from payproc.settings import load_settings

    for key, value in {"BACKEND": "payproc_flutterwave.legacy:FlutterwaveV2Backend", "PUB_KEY": "FLWPUBK_TEST-env",
                       "PRIV_KEY": "FLWSECK_TEST-env", "PRODUCTION": "true", "TIMEOUT": "12"}.items():
        monkeypatch.setenv(f"PAYPROC_PROCESSOR__{key}", value)
    settings = load_backend(load_settings().PROCESSOR, observers=False).settings
    assert (settings.PRODUCTION, settings.production, settings.TIMEOUT) == (True, True, 12.0)
