"""Every source of settings reaches the backend's own model, in the case the
backend declares; unknown keys are refused with the closest known one; a
djaodjin-saas dict is mapped and what is dropped is said."""

from __future__ import annotations

import sys
import types
import warnings

import pytest
from pydantic import Field

from payproc import hookimpl
from payproc.backend import load_backend
from payproc.errors import ConfigurationError, PayprocDeprecationWarning, SettingsWarning
from payproc.settings import BackendSettings, Settings, load_settings


class MixedCaseSettings(BackendSettings):
    """A backend whose own keys are not all upper case."""

    Region: str = "eu"
    retry_budget: int = Field(default=3, ge=0)


class MixedCaseBackend:
    contract = ">=1.0,<2"

    @hookimpl
    def settings_model(self):  # type: ignore[no-untyped-def]
        return MixedCaseSettings

    @hookimpl
    def configure(self, settings):  # type: ignore[no-untyped-def]
        self.settings = settings


@pytest.fixture
def mixed_case_backend() -> str:
    module = types.ModuleType("payproc_test_mixed_case")
    module.MixedCaseBackend = MixedCaseBackend  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    yield f"{module.__name__}:MixedCaseBackend"
    del sys.modules[module.__name__]


pytestmark = pytest.mark.usefixtures("payproc_settings_env")  # no payproc.toml, .env or PAYPROC_* leaks in


def test_backend_keys_from_the_environment_reach_the_backend(monkeypatch):
    monkeypatch.setenv("PAYPROC_PROCESSOR__BACKEND", "fake")
    monkeypatch.setenv("PAYPROC_PROCESSOR__LATENCY_MS", "7")
    monkeypatch.setenv("PAYPROC_PROCESSOR__ACCOUNT", "acct_from_env")
    backend = load_backend(load_settings().PROCESSOR, observers=False)
    assert (backend.settings.LATENCY_MS, backend.settings.ACCOUNT) == (7, "acct_from_env")


def test_a_dotenv_file_reaches_the_backend_and_the_environment_wins_over_toml(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("PAYPROC_PROCESSOR__LATENCY_MS=11\n")
    (tmp_path / "payproc.toml").write_text('[PROCESSOR]\nBACKEND = "fake"\nLATENCY_MS = 5\nACCOUNT = "acct_toml"\n')
    backend = load_backend(load_settings().PROCESSOR, observers=False)
    assert (backend.settings.LATENCY_MS, backend.settings.ACCOUNT) == (11, "acct_toml")
    monkeypatch.setenv("PAYPROC_PROCESSOR__LATENCY_MS", "13")
    assert load_backend(load_settings().PROCESSOR, observers=False).settings.LATENCY_MS == 13


def test_keys_reach_the_model_in_the_case_it_declares(mixed_case_backend, monkeypatch):
    monkeypatch.setenv("PAYPROC_PROCESSOR__BACKEND", mixed_case_backend)
    monkeypatch.setenv("PAYPROC_PROCESSOR__REGION", "us")
    monkeypatch.setenv("PAYPROC_PROCESSOR__RETRY_BUDGET", "9")
    backend = load_backend(load_settings().PROCESSOR, observers=False)
    assert (backend.settings.Region, backend.settings.retry_budget) == ("us", 9)


def test_a_bad_value_from_the_environment_is_an_error(monkeypatch):
    monkeypatch.setenv("PAYPROC_PROCESSOR__LATENCY_MS", "abc")
    with pytest.raises(ConfigurationError, match=r"PROCESSOR\.LATENCY_MS: Input should be a valid integer"):
        load_backend(load_settings().PROCESSOR, observers=False)


@pytest.mark.parametrize("source", ["env", "toml", "keyword"])
def test_a_misspelt_processor_key_is_an_error_naming_the_closest(source, tmp_path, monkeypatch):
    if source == "env":
        monkeypatch.setenv("PAYPROC_PROCESSOR__LATENCYMS", "7")
        settings = load_settings()
    elif source == "toml":
        (tmp_path / "payproc.toml").write_text("[PROCESSOR]\nLATENCYMS = 7\n")
        settings = load_settings()
    else:
        settings = load_settings(PROCESSOR={"BACKEND": "fake", "LATENCYMS": 7})
    with pytest.raises(ConfigurationError) as error:
        load_backend(settings.PROCESSOR, observers=False)
    assert str(error.value) == "PROCESSOR.LATENCYMS is not a setting of backend 'fake': did you mean 'LATENCY_MS'?"


def test_a_misspelt_key_of_another_section_is_an_error_naming_the_closest(monkeypatch):
    monkeypatch.setenv("PAYPROC_RENEWALS__CONCURENCY", "4")
    with pytest.raises(ConfigurationError, match=r"RENEWALS\.CONCURENCY is not a setting: did you mean 'CONCURRENCY'\?"):
        load_settings()
    monkeypatch.delenv("PAYPROC_RENEWALS__CONCURENCY")
    monkeypatch.setenv("PAYPROC_RENEWALS__CONCURRENCY", "4")
    monkeypatch.setenv("PAYPROC_RETRIES__ATTEMPTS", "3")
    settings = load_settings()
    assert (settings.RENEWALS.CONCURRENCY, settings.RETRIES.ATTEMPTS) == (4, 3)


@pytest.mark.parametrize(("source", "message"), [
    ("keyword", "DATABSE_URL is not a setting: did you mean 'DATABASE_URL'?"),
    ("toml", "{toml}: DATABSE_URL is not a setting: did you mean 'DATABASE_URL'?; "
             "{toml}: RENEWAL is not a setting: did you mean 'RENEWALS'?"),
    ("env", "environment: PAYPROC_DATABSE_URL is not a setting: did you mean 'PAYPROC_DATABASE_URL'?"),
    ("nested env", "environment: PAYPROC_PROCESOR__BACKEND is not a setting: "
                   "did you mean 'PAYPROC_PROCESSOR__BACKEND'?"),
    ("dotenv", ".env: PAYPROC_DATABSE_URL is not a setting: did you mean 'PAYPROC_DATABASE_URL'?"),
])
def test_a_misspelt_top_level_key_is_an_error_not_a_default(source, message, tmp_path, monkeypatch):
    """``DATABSE_URL`` must not leave payproc on a fresh local SQLite file
    (nor ``PROCESOR`` on the fake backend) without a word."""
    values = {}
    if source == "keyword":
        values = {"DATABSE_URL": "postgresql://db/shop"}
    elif source == "toml":
        (tmp_path / "payproc.toml").write_text('DATABSE_URL = "postgresql://db/shop"\n[RENEWAL]\nCONCURRENCY = 2\n')
    elif source == "env":
        monkeypatch.setenv("PAYPROC_DATABSE_URL", "postgresql://db/shop")
    elif source == "nested env":
        monkeypatch.setenv("PAYPROC_PROCESOR__BACKEND", "stripe")
    else:
        (tmp_path / ".env").write_text("PAYPROC_DATABSE_URL=postgresql://db/shop\nOTHER_APP_SETTING=1\n")
    with pytest.raises(ConfigurationError) as error:
        load_settings(**values)
    assert str(error.value) == message.format(toml=tmp_path / "payproc.toml")
    assert not any(tmp_path.glob("*.sqlite3"))


def test_settings_built_directly_refuse_a_misspelt_key_too(tmp_path, monkeypatch):
    """``Payproc(settings=Settings(DATABSE_URL=...))`` is the same mistake as
    the keyword to ``Payproc``: an error, not the default SQLite file."""
    from payproc.settings import Settings

    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigurationError) as error:
        Settings(DATABSE_URL="postgresql://db/shop")
    assert str(error.value) == "DATABSE_URL is not a setting: did you mean 'DATABASE_URL'?"
    assert Settings(DATABASE_URL="sqlite:///shop.db").DATABASE_URL == "sqlite:///shop.db"
    assert not any(tmp_path.iterdir())


def test_other_payproc_variables_and_lower_case_toml_keys_are_fine(tmp_path, monkeypatch):
    for name in ("PAYPROC_DEBUG", "PAYPROC_ADMIN_TOKEN", "PAYPROC_TEST_POSTGRES_URL", "PAYPROC_CELERY_BROKER"):
        monkeypatch.setenv(name, "1")
    (tmp_path / "payproc.toml").write_text('database_url = "sqlite:///toml.db"\n[renewals]\nconcurrency = 3\n')
    settings = load_settings()
    assert (settings.DATABASE_URL, settings.RENEWALS.CONCURRENCY) == ("sqlite:///toml.db", 3)


def test_mode_is_passed_to_the_backend_as_given(monkeypatch):
    monkeypatch.setenv("PAYPROC_PROCESSOR__MODE", "FORWARD")
    assert load_settings().PROCESSOR.MODE == "FORWARD"  # the backend's model says what the name means


def test_a_malformed_toml_file_is_named_with_its_line(tmp_path):
    (tmp_path / "payproc.toml").write_text('[PROCESSOR]\nBACKEND = "fake"\nLATENCY_MS = = 3\n')
    with pytest.raises(ConfigurationError) as error:
        load_settings()
    assert str(error.value).startswith(f"{tmp_path / 'payproc.toml'} is not valid TOML: ")
    assert "line 3" in str(error.value)


def test_saas_broker_dict_maps_and_unused_keys_are_reported():
    saas = {
        "BROKER": {"GET_INSTANCE": "cowork", "BUILD_ABSOLUTE_URI_CALLABLE": "app.utils.build_uri"},
        "PROCESSOR": {"BACKEND": "fake", "INSTANCE_PK": 4, "CONNECT_STATE_CALLABLE": "app.utils.state",
                      "REDIRECT_CALLABLE": "app.utils.redirect", "FALLBACK": ["stripe"], "USE_STRIPE_V3": True},
        "PRODUCT_URL": "/app/",
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()
        warnings.filterwarnings("ignore", category=DeprecationWarning)  # Python's default outside __main__
        settings = Settings.from_saas(saas)
    assert (settings.BROKER, settings.PROCESSOR_ID, settings.PROCESSOR.BACKEND) == ("cowork", 4, "fake")
    messages = [str(w.message) for w in caught if issubclass(w.category, SettingsWarning)]
    assert all(w.filename == __file__ for w in caught)  # attributed to the caller's line
    for key in ("CONNECT_STATE_CALLABLE", "REDIRECT_CALLABLE", "FALLBACK", "USE_STRIPE_V3"):
        assert any(f"SAAS['PROCESSOR']['{key}'] is ignored: " in message for message in messages), key
    assert any("SAAS['BROKER']['BUILD_ABSOLUTE_URI_CALLABLE'] is ignored" in message for message in messages)
    assert any("PRODUCT_URL" in message for message in messages)
    backend = load_backend(settings.PROCESSOR, observers=False)  # nothing unknown reaches the backend
    assert backend.name == "fake"


@pytest.mark.parametrize("value", [False, None, "", []])
def test_saas_unused_keys_are_reported_whatever_their_value(value):
    # USE_STRIPE_V3 = False asked djaodjin for Stripe's v2 API: payproc always
    # uses v3, so an empty or false value is ignored too, and said so.
    saas = {"BROKER": {"GET_INSTANCE": "cowork", "IS_INSTANCE_CALLABLE": value},
            "PROCESSOR": {"BACKEND": "fake", "USE_STRIPE_V3": value, "FALLBACK": value}}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Settings.from_saas(saas)
    messages = [str(w.message) for w in caught if issubclass(w.category, SettingsWarning)]
    for key in ("USE_STRIPE_V3", "FALLBACK"):
        assert any(f"SAAS['PROCESSOR']['{key}'] is ignored: " in message for message in messages), key
    assert any("SAAS['BROKER']['IS_INSTANCE_CALLABLE'] is ignored" in message for message in messages)


def test_saas_broker_callable_is_refused_with_what_to_write():
    with pytest.raises(ConfigurationError, match="needs the broker's profile slug"):
        Settings.from_saas({"BROKER": {"GET_INSTANCE": "app.utils.get_broker"}})


def test_dotted_backend_paths_warn_visibly():
    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()
        warnings.filterwarnings("ignore", category=DeprecationWarning)  # Python's default outside __main__
        load_backend(BackendSettings(BACKEND="saas.backends.fake_processor.FakeProcessorBackend"), observers=False)
    (warning,) = [w for w in caught if issubclass(w.category, PayprocDeprecationWarning)]
    assert issubclass(warning.category, FutureWarning)  # shown by Python's default filters
    assert "deprecated: use 'fake'" in str(warning.message)


@pytest.mark.parametrize("key", ["PRIV_KEY", "WEBHOOK_SECRET"])
def test_a_secret_set_but_empty_is_refused_when_loaded(monkeypatch, key):
    # A deployment that forgot to fill PAYPROC_PROCESSOR__PRIV_KEY= learns it
    # at start-up (and from `payproc check`), not at the first payment.
    monkeypatch.setenv("PAYPROC_PROCESSOR__BACKEND", "fake")
    monkeypatch.setenv(f"PAYPROC_PROCESSOR__{key}", "")
    with pytest.raises(ConfigurationError, match=f"PROCESSOR.{key} is set but empty: give its value, or leave it out"):
        load_backend(load_settings().PROCESSOR, observers=False)
