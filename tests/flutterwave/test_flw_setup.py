"""Loading, settings, capabilities, imports and the harness protocol of the
v3 backend."""

from __future__ import annotations

import subprocess
import sys

import pytest
from payproc.backend import backend_capabilities
from payproc.errors import ConfigurationError, NotSupportedError
from payproc.hookspecs import BACKEND_HOOKS
from payproc.testing.harness import BackendHarness
from payproc_flutterwave.backend import FlutterwaveBackend
from payproc_flutterwave.settings import FlutterwaveSettings
from payproc_flutterwave_tests_fakeserver import PUB_KEY, SEC_KEY, WEBHOOK_HASH


def test_the_entry_point_loads_the_experimental_v3_backend(backend):
    assert backend.name == "flutterwave" and backend.backend_cls is FlutterwaveBackend
    assert backend.experimental is True
    assert backend.entry is not None and backend.entry.distribution == "payproc-flutterwave"
    assert backend.webhook_verification.value == "signed"


def test_capabilities_match_the_harness_and_the_rest_is_explained(payproc_harness):
    implemented = backend_capabilities(FlutterwaveBackend)
    assert implemented == payproc_harness.capabilities
    assert set(BACKEND_HOOKS) - implemented == set(FlutterwaveBackend.unsupported)
    assert all(reason.strip() for reason in FlutterwaveBackend.unsupported.values())


def test_payouts_are_refused_with_their_reason(backend):
    with pytest.raises(NotSupportedError, match="account_bank"):
        backend.call("create_transfer", provider=None, amount=1, currency="ngn", descr=None, idempotency_key="k")


def test_the_harness_satisfies_the_protocol(payproc_harness):
    assert isinstance(payproc_harness, BackendHarness)


@pytest.mark.parametrize("missing", ["PUB_KEY", "PRIV_KEY"])
def test_keys_are_required(make_backend, missing):
    settings = {"BACKEND": "flutterwave", "PUB_KEY": PUB_KEY, "PRIV_KEY": SEC_KEY}
    del settings[missing]
    with pytest.raises(ConfigurationError, match=missing):
        make_backend(settings)


@pytest.mark.parametrize(("name", "value"), [("CHECKOUT", "popup"), ("TIMEOUT", 0), ("PAYMENT_OPTIONS", "")])
def test_bad_settings_are_refused_by_name(make_backend, name, value):
    with pytest.raises(ConfigurationError, match=name):
        make_backend({"BACKEND": "flutterwave", "PUB_KEY": PUB_KEY, "PRIV_KEY": SEC_KEY, name: value})


def test_secrets_never_show(backend):
    backend.impl.api.http  # noqa: B018 - build the httpx client that holds the key
    shown = repr(backend.settings) + str(backend.settings) + repr(backend.impl.__dict__) + repr(backend.impl.api)
    assert SEC_KEY not in shown and WEBHOOK_HASH not in shown


def test_defaults():
    settings = FlutterwaveSettings(PUB_KEY="FLWPUBK_TEST-x", PRIV_KEY="FLWSECK_TEST-x")
    assert settings.api_base == "https://api.flutterwave.com/" and settings.test_mode
    assert settings.CHECKOUT == "inline" and settings.PAYMENT_OPTIONS == "card"
    assert not FlutterwaveSettings(PUB_KEY="FLWPUBK-x", PRIV_KEY="FLWSECK-x").test_mode
    assert FlutterwaveSettings(PUB_KEY="p", PRIV_KEY="s", API_BASE="http://127.0.0.1:9").api_base == \
        "http://127.0.0.1:9/"


def test_browser_integration_names_the_v3_script(backend):
    integration = backend.call("browser_integration")
    assert integration.token_field == "transaction_id"
    assert integration.script_urls == ("https://checkout.flutterwave.com/v3.js",)


def test_importing_and_loading_imports_no_sdk_and_no_http_client():
    code = (
        "import sys\n"
        "import payproc_flutterwave, payproc_flutterwave.backend\n"
        "from payproc.backend import load_backend\n"
        "from payproc.settings import BackendSettings\n"
        "b = load_backend(BackendSettings(BACKEND='flutterwave', PUB_KEY='p', PRIV_KEY='s',"
        " API_BASE='http://127.0.0.1:9/'), observers=False)\n"
        "bad = [m for m in ('rave_python', 'requests', 'stripe', 'razorpay', 'httpx') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
