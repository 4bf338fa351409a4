"""Flutterwave's own keys set through the environment reach FlutterwaveSettings."""

from __future__ import annotations

import os

import pytest
from payproc.backend import load_backend
from payproc.settings import load_settings


@pytest.fixture(autouse=True)
def clean_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("PAYPROC_"):
            monkeypatch.delenv(name)


def test_flutterwave_keys_from_the_environment(monkeypatch):
    for key, value in {"BACKEND": "flutterwave", "PUB_KEY": "FLWPUBK_TEST-env", "PRIV_KEY": "FLWSECK_TEST-env",
                       "PRODUCTION": "true", "TIMEOUT": "12"}.items():
        monkeypatch.setenv(f"PAYPROC_PROCESSOR__{key}", value)
    settings = load_backend(load_settings().PROCESSOR, observers=False).settings
    assert (settings.PRODUCTION, settings.production, settings.TIMEOUT) == (True, True, 12.0)
