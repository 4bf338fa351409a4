import pytest

from payproc.errors import ConfigurationError
from payproc.settings import Settings, load_settings


def test_environment_nesting(monkeypatch):
    monkeypatch.setenv("PAYPROC_PROCESSOR__BACKEND", "stripe")
    monkeypatch.setenv("PAYPROC_PROCESSOR__PRIV_KEY", "sk_test_secretvalue")
    monkeypatch.setenv("PAYPROC_PROCESSOR_ID", "7")
    settings = load_settings()
    assert settings.PROCESSOR.BACKEND == "stripe" and settings.PROCESSOR_ID == 7
    assert settings.PROCESSOR.PRIV_KEY.get_secret_value() == "sk_test_secretvalue"
    assert "sk_test_secretvalue" not in repr(settings) and "sk_test_secretvalue" not in str(settings)


def test_toml_file(tmp_path):
    path = tmp_path / "payproc.toml"
    path.write_text('DATABASE_URL = "sqlite:///x.db"\n[PROCESSOR]\nBACKEND = "fake"\nMODE = 1\n')
    settings = load_settings(toml_file=path)
    assert settings.DATABASE_URL == "sqlite:///x.db" and settings.PROCESSOR.MODE == 1


def test_saas_dict_as_is():
    settings = Settings.from_saas({"PROCESSOR": {"BACKEND": "saas.backends.fake_processor.FakeProcessorBackend",
                                                 "PRIV_KEY": "sk", "INSTANCE_PK": 3}})
    assert settings.PROCESSOR_ID == 3 and settings.PROCESSOR.BACKEND.endswith("FakeProcessorBackend")


def test_invalid_settings_name_the_key_not_the_value():
    with pytest.raises(ConfigurationError) as error:
        load_settings(PROCESSOR_ID="not-a-number", PROCESSOR={"USE_PLATFORM_KEYS": "sk_live_leak"})
    message = str(error.value)
    assert "PROCESSOR_ID" in message and "PROCESSOR.USE_PLATFORM_KEYS" in message and "sk_live_leak" not in message


def test_backend_validates_its_own_section():
    from payproc.backend import load_backend
    from payproc.settings import BackendSettings

    with pytest.raises(ConfigurationError, match="PROCESSOR.LATENCY_MS"):
        load_backend(BackendSettings(BACKEND="fake", LATENCY_MS=-5))
