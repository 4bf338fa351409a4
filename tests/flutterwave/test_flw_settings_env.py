"""Flutterwave's own keys set through the environment reach FlutterwaveSettings."""

from __future__ import annotations

import pytest
from payproc.backend import load_backend
from payproc.settings import load_settings

pytestmark = pytest.mark.usefixtures("payproc_settings_env")


def test_flutterwave_keys_from_the_environment(monkeypatch):
    for key, value in {"BACKEND": "flutterwave", "PUB_KEY": "FLWPUBK_TEST-env", "PRIV_KEY": "FLWSECK_TEST-env",
                       "CHECKOUT": "hosted", "TIMEOUT": "12"}.items():
        monkeypatch.setenv(f"PAYPROC_PROCESSOR__{key}", value)
    settings = load_backend(load_settings().PROCESSOR, observers=False).settings
    assert (settings.CHECKOUT, settings.test_mode, settings.TIMEOUT) == ("hosted", True, 12.0)
    assert settings.PRIV_KEY.get_secret_value() == "FLWSECK_TEST-env"


def test_a_v2_only_setting_is_refused_by_name_with_v3(monkeypatch):
    from payproc.errors import ConfigurationError

    for key, value in {"BACKEND": "flutterwave", "PUB_KEY": "FLWPUBK_TEST-env", "PRIV_KEY": "FLWSECK_TEST-env",
                       "PRODUCTION": "true"}.items():
        monkeypatch.setenv(f"PAYPROC_PROCESSOR__{key}", value)
    with pytest.raises(ConfigurationError, match="PRODUCTION"):
        load_backend(load_settings().PROCESSOR, observers=False)


def test_a_misspelt_key_is_named_not_ignored(monkeypatch):
    from payproc.errors import ConfigurationError

    for key, value in {"BACKEND": "flutterwave", "PUB_KEY": "FLWPUBK_TEST-env", "PRIV_KEY": "FLWSECK_TEST-env",
                       "CHEKOUT": "hosted"}.items():
        monkeypatch.setenv(f"PAYPROC_PROCESSOR__{key}", value)
    with pytest.raises(ConfigurationError, match=r"PROCESSOR\.CHEKOUT is not a setting of backend 'flutterwave': "
                                                 r"did you mean 'CHECKOUT'\?"):
        load_backend(load_settings().PROCESSOR, observers=False)
