"""Stripe's own keys set through the environment reach StripeSettings (they
used to arrive lower-cased and be ignored), and MODE takes its names."""

from __future__ import annotations

import pytest

from payproc.backend import load_backend
from payproc.errors import ConfigurationError
from payproc.settings import load_settings
from payproc_stripe.settings import Mode


@pytest.fixture(autouse=True)
def clean_environment(payproc_settings_env, monkeypatch):
    monkeypatch.setenv("PAYPROC_PROCESSOR__BACKEND", "stripe")
    monkeypatch.setenv("PAYPROC_PROCESSOR__PRIV_KEY", "sk_test_from_env")


def test_stripe_keys_from_the_environment(monkeypatch):
    monkeypatch.setenv("PAYPROC_PROCESSOR__TIMEOUT", "7")
    monkeypatch.setenv("PAYPROC_PROCESSOR__MODE", "FORWARD")
    monkeypatch.setenv("PAYPROC_PROCESSOR__WEBHOOK_SECRETS", "whsec_a,whsec_b")
    settings = load_backend(load_settings().PROCESSOR, observers=False).settings
    assert (settings.TIMEOUT, settings.MODE) == (7.0, Mode.FORWARD)
    assert settings.webhook_secrets() == ("whsec_a", "whsec_b")


@pytest.mark.parametrize("value", ["remote", "2"])
def test_mode_by_name_or_number(monkeypatch, value):
    monkeypatch.setenv("PAYPROC_PROCESSOR__MODE", value)
    assert load_backend(load_settings().PROCESSOR, observers=False).settings.MODE == Mode.REMOTE


def test_a_bad_timeout_from_the_environment_is_refused(monkeypatch):
    monkeypatch.setenv("PAYPROC_PROCESSOR__TIMEOUT", "abc")
    with pytest.raises(ConfigurationError, match=r"PROCESSOR\.TIMEOUT"):
        load_backend(load_settings().PROCESSOR, observers=False)


def test_a_misspelt_stripe_key_names_the_closest(monkeypatch):
    monkeypatch.setenv("PAYPROC_PROCESSOR__WEBHOOK_SECRET_S", "whsec_a")
    with pytest.raises(ConfigurationError, match=r"PROCESSOR\.WEBHOOK_SECRET_S is not a setting of backend "
                                                 r"'stripe': did you mean 'WEBHOOK_SECRETS'\?"):
        load_backend(load_settings().PROCESSOR, observers=False)
