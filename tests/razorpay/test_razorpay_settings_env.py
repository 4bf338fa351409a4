"""Razorpay's own keys set through the environment reach RazorpaySettings."""

from __future__ import annotations

import pytest
from payproc.backend import load_backend
from payproc.settings import load_settings


pytestmark = pytest.mark.usefixtures("payproc_settings_env")


def test_razorpay_keys_from_the_environment(monkeypatch):
    for key, value in {"BACKEND": "razorpay", "PUB_KEY": "rzp_test_env", "PRIV_KEY": "secret_from_env",
                       "AUTO_CAPTURE": "true", "TIMEOUT": "9", "TOKEN_MAX_AMOUNT": "200000"}.items():
        monkeypatch.setenv(f"PAYPROC_PROCESSOR__{key}", value)
    settings = load_backend(load_settings().PROCESSOR, observers=False).settings
    assert (settings.AUTO_CAPTURE, settings.TIMEOUT, settings.TOKEN_MAX_AMOUNT) == (True, 9.0, 200000)
    assert settings.PRIV_KEY.get_secret_value() == "secret_from_env"
