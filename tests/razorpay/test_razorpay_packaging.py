"""The distribution: entry point, lazy SDK import, settings, capabilities."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from payproc.backend import backend_capabilities, load_backend
from payproc.discovery import installed_backends
from payproc.errors import ConfigurationError, NotSupportedError
from payproc.settings import BackendSettings


def test_entry_point_is_installed():
    entry = installed_backends()["razorpay"]
    assert entry.distribution == "payproc-razorpay"
    assert entry.value == "payproc_razorpay.backend:RazorpayBackend"


def test_importing_the_backend_imports_no_sdk():
    code = (
        "import sys, json; import payproc_razorpay.backend; "
        "from payproc.backend import backend_capabilities; "
        "backend_capabilities(payproc_razorpay.backend.RazorpayBackend); "
        "print(json.dumps([m for m in ('razorpay', 'requests', 'stripe', 'rave_python') if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []


def test_settings_are_validated_and_secrets_hidden():
    with pytest.raises(ConfigurationError, match="PRIV_KEY"):
        load_backend(BackendSettings(BACKEND="razorpay", PUB_KEY="rzp_test_x"), observers=False)
    backend = load_backend(BackendSettings(BACKEND="razorpay", PUB_KEY="rzp_test_x", PRIV_KEY="s3cr3t-value",
                                           WEBHOOK_SECRET="wh-s3cr3t"), observers=False)
    assert "s3cr3t" not in repr(backend.settings) + str(backend.settings)
    assert backend.token_field == "razorpay_payment_id"


def test_harness_declares_the_backends_capabilities(harness):
    from payproc_razorpay.backend import RazorpayBackend

    assert harness.capabilities == backend_capabilities(RazorpayBackend)


def test_unsupported_operations_say_why(backend):
    for operation in ("update_bank", "connect_auth", "get_authorize_url", "get_deauthorize_url", "list_customers"):
        assert not backend.supports(operation)
        with pytest.raises(NotSupportedError, match="razorpay") as caught:
            backend.call(operation)
        assert caught.value.reason


def test_conformance_harness_protocol(payproc_harness):
    from payproc.testing.harness import BackendHarness

    assert isinstance(payproc_harness, BackendHarness)
    assert payproc_harness.processor_settings()["BACKEND"] == "razorpay"
