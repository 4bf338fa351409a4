"""payproc's settings, read with pydantic-settings.

Sources, highest first: keyword arguments, the environment (``PAYPROC_``
prefix, ``__`` for nesting: ``PAYPROC_PROCESSOR__BACKEND=stripe``), a ``.env``
file, a ``payproc.toml`` file. A djaodjin-saas ``SAAS = {...}`` dict is
mapped by :meth:`Settings.from_saas` (see :mod:`payproc.saas`).

Settings are built by :func:`load_settings`, never at import time. The
``PROCESSOR`` section is validated twice: once loosely here, then by the
model the selected backend contributes (its ``settings_model`` hook), so each
backend checks its own keys with its own rules
(:func:`validate_backend_section`). Environment variables arrive lower-cased
(``PAYPROC_PROCESSOR__TIMEOUT`` gives ``timeout``): the keys of the
``PROCESSOR`` section are upper-cased in every source before the sources are
merged, so the environment still overrides ``payproc.toml``, and the
backend's model receives each key under the name it declares. A key the
backend does not declare is an error that suggests the closest one.
"""

from __future__ import annotations

import difflib
import warnings
from datetime import timedelta
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from .errors import ConfigurationError, SettingsWarning

__all__ = ["BackendSettings", "ProcessorSection", "ProcessorSettings", "Settings", "SettingsWarning", "load_settings"]

DEFAULT_DATABASE_URL = "sqlite:///payproc.sqlite3"


class BackendSettings(BaseModel):
    """The keys every backend understands. A backend's own model subclasses it
    and may make keys required, add its own, or forbid unknown ones."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    BACKEND: str = "fake"
    PUB_KEY: str | None = None
    PRIV_KEY: SecretStr | None = None
    CLIENT_ID: str | None = None
    MODE: int = 0
    USE_PLATFORM_KEYS: bool = False
    WEBHOOK_SECRET: SecretStr | None = None
    WEBHOOK_URL: str | None = None
    CONNECT_CALLBACK_URL: str | None = None
    #: Base URL of the processor's API; tests point it at a local fake server.
    API_BASE: str | None = None


ProcessorSettings = BackendSettings


class ProcessorSection(BackendSettings):
    """The ``PROCESSOR`` section as read, before the backend's model gives
    each key its meaning: ``MODE`` may be a name (``FORWARD``) that only the
    backend knows, so it is passed through as given."""

    MODE: int | str = 0  # type: ignore[assignment]


class RenewalSettings(BaseModel):
    """Batch renewals: how many charges run at once, how many processor calls
    start per second at most (across every process on PostgreSQL), and how
    processes share the due list on PostgreSQL (claimed in batches, each
    held for a lease)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    CONCURRENCY: int = Field(default=8, ge=1, le=256)
    RATE_LIMIT: float = Field(default=25.0, gt=0)
    #: PostgreSQL: calls are spaced (1 + RATE_HEADROOM) / RATE_LIMIT apart, so the
    #: processor still sees at most RATE_LIMIT a second when a request reaches it
    #: up to RATE_HEADROOM seconds later than another (payproc.ratelimit)
    RATE_HEADROOM: float = Field(default=0.05, ge=0, lt=1)
    MAX_RENEWAL_ATTEMPTS: int = Field(default=3, ge=1)
    #: PostgreSQL: renewals one process claims at a time (None: CONCURRENCY)
    BATCH_SIZE: int | None = Field(default=None, ge=1, le=1000)
    #: PostgreSQL: how long a claim holds; a dead worker's batch waits this long
    LEASE_SECONDS: float = Field(default=300.0, gt=0)


class RetrySettings(BaseModel):
    """Retries of payment and refund calls whose outcome is unknown (see
    :mod:`payproc.retry`). ``ATTEMPTS = 1`` means no retry."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ATTEMPTS: int = Field(default=1, ge=1, le=10)
    INITIAL_WAIT: float = Field(default=0.2, gt=0, le=10)
    MAX_WAIT: float = Field(default=5.0, gt=0, le=60)


class Settings(BaseSettings):
    """Everything payproc reads from its environment."""

    model_config = SettingsConfigDict(
        env_prefix="PAYPROC_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        toml_file="payproc.toml",
        extra="ignore",
        frozen=True,
    )

    PROCESSOR_ID: int = 1
    PROCESSOR: ProcessorSection = Field(default_factory=ProcessorSection)
    DATABASE_URL: str = DEFAULT_DATABASE_URL
    BROKER: str = "broker"
    RENEWALS: RenewalSettings = Field(default_factory=RenewalSettings)
    RETRIES: RetrySettings = Field(default_factory=RetrySettings)
    #: How long a payment context may wait for the customer (``awaiting`` or
    #: ``requires_action``) before ``settle`` cancels it with the processor
    #: and expires the charge (seconds, or an ISO 8601 duration).
    ABANDON_AFTER: timedelta = Field(default=timedelta(hours=24), gt=timedelta(0))

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            _UpperCaseSections(init_settings),
            _UpperCaseSections(env_settings),
            _UpperCaseSections(dotenv_settings),
            _TomlFile(settings_cls),
        )

    @classmethod
    def from_saas(cls, saas: Mapping[str, Any], **overrides: Any) -> Settings:
        """Settings from a djaodjin-saas ``SAAS`` dict.

        What maps is mapped (``BROKER['GET_INSTANCE']``, ``PROCESSOR['INSTANCE_PK']``,
        the dotted backend paths); what payproc does not use is named in one
        :class:`SettingsWarning` each, with why, attributed to the caller's
        line. See :mod:`payproc.saas`.
        """
        from .saas import map_saas

        values, notices = map_saas(saas)
        for notice in notices:
            warnings.warn(notice, SettingsWarning, stacklevel=2)
        values.update(overrides)
        return load_settings(**values)


#: The sections whose keys are upper case (the environment lower-cases them).
_SECTIONS = ("PROCESSOR", "RENEWALS", "RETRIES")


def _upper_case_sections(data: dict[str, Any]) -> dict[str, Any]:
    for name, value in list(data.items()):
        if name.upper() in _SECTIONS and isinstance(value, Mapping):
            data[name] = {str(key).upper(): item for key, item in value.items()}
    return data


class _UpperCaseSections(PydanticBaseSettingsSource):
    """One settings source whose section keys are upper-cased (the
    environment lower-cases them), so that merging the sources keeps their
    priority key by key."""

    def __init__(self, inner: PydanticBaseSettingsSource) -> None:
        super().__init__(inner.settings_cls)
        self.inner = inner

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return self.inner.get_field_value(field, field_name)

    def __call__(self) -> dict[str, Any]:
        if isinstance(self.inner, EnvSettingsSource):
            where = ".env: " if isinstance(self.inner, DotEnvSettingsSource) else "environment: "
            _refuse_misspelt_variables(self.inner.env_vars, where)
        data = self.inner()
        if isinstance(self.inner, InitSettingsSource):  # Settings(DATABSE_URL=...), not only load_settings
            _refuse_unknown_keys(data)
        return _upper_case_sections(data)


class _TomlFile(TomlConfigSettingsSource):
    """``payproc.toml``, its keys (top-level and in sections) given the
    settings' own names whatever their case, like the other sources' — older
    pydantic-settings match TOML keys case-sensitively, and a ``database_url``
    the check below accepts must not then be dropped. Every top-level key of
    the file must be a setting: the file is payproc's own."""

    def __call__(self) -> dict[str, Any]:
        data = super().__call__()
        path = Path(str(self.toml_file_path)) if isinstance(self.toml_file_path, (str, Path)) else None
        _refuse_unknown_keys(data, f"{path.resolve()}: " if path is not None else "payproc.toml: ")
        known = _known_keys(Settings)
        return _upper_case_sections({known.get(str(key).upper(), key): value for key, value in data.items()})


def _refuse_unknown_keys(keys: Iterable[str], where: str = "") -> None:
    """A top-level key that is no setting (``DATABSE_URL``) is an error
    naming the closest one, never ignored: the default it leaves in force
    (a local SQLite file, the fake backend) would go unnoticed."""
    known = _known_keys(Settings)
    unknown = sorted(str(key) for key in keys if str(key).upper() not in known)
    if unknown:
        raise ConfigurationError("; ".join(f"{where}{key} is not a setting{_closest(key, known)}" for key in unknown))


def _refuse_misspelt_variables(variables: Mapping[str, Any], where: str) -> None:
    """``PAYPROC_*`` variables that mean a setting but name none: the nested
    form (``PAYPROC_PROCESOR__BACKEND``) with no such section, or a name
    close to a setting's (``PAYPROC_DATABSE_URL``). Other ``PAYPROC_*``
    variables (``PAYPROC_DEBUG``, an application's own) are not settings and
    are left alone."""
    prefix = "PAYPROC_"
    known = _known_keys(Settings)
    wrong: list[str] = []
    for name in variables:
        upper = str(name).upper()
        if not upper.startswith(prefix):
            continue
        head, nested, rest = upper[len(prefix):].partition("__")
        if head in known:
            continue
        close = difflib.get_close_matches(head, list(known), n=1, cutoff=0.8 if not nested else 0.6)
        if close:
            wrong.append(f"{where}{upper} is not a setting: did you mean {prefix + close[0] + nested + rest!r}?")
        elif nested:
            wrong.append(f"{where}{upper} is not a setting: {head} is none of the sections "
                         f"({', '.join(name for name in _SECTIONS)})")
    if wrong:
        raise ConfigurationError("; ".join(sorted(wrong)))


def _closest(key: str, known: Mapping[str, str]) -> str:
    close = difflib.get_close_matches(key.upper(), list(known), n=1, cutoff=0.6)
    if close:
        return f": did you mean {known[close[0]]!r}?"
    return f" (its settings: {', '.join(sorted(known.values()))})"


def _section_model(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model of the section a nested key belongs to (``RENEWALS``...)."""
    model: Any = Settings
    for part in loc[:-1]:
        field = getattr(model, "model_fields", {}).get(part)
        model = field.annotation if field is not None else None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _describe(error: ValidationError, prefix: str = "") -> str:
    lines = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"])
        section = _section_model(tuple(item["loc"])) if item["type"] == "extra_forbidden" and not prefix else None
        if section is not None:
            lines.append(f"{key} is not a setting{_closest(str(item['loc'][-1]), _known_keys(section))}")
        else:
            lines.append(f"{prefix}{key}: {item['msg']}")
    return "; ".join(lines)


def load_settings(toml_file: str | Path | None = None, **values: Any) -> Settings:
    """Build :class:`Settings` from keyword arguments and the environment.

    Raises :class:`~payproc.errors.ConfigurationError` naming each invalid key
    (never its value: it may be a secret). A keyword that is no setting is
    refused by the arguments' source (see ``_UpperCaseSections``).
    """
    try:
        if toml_file is not None:
            class _FromFile(Settings):
                model_config = SettingsConfigDict(toml_file=str(toml_file))

            return _FromFile(**values)
        return Settings(**values)
    except ValidationError as error:
        raise ConfigurationError(f"invalid settings: {_describe(error)}") from None
    except ValueError as error:  # tomllib.TOMLDecodeError: its message gives the line and column
        if type(error).__name__ != "TOMLDecodeError":
            raise
        name = Path(toml_file if toml_file is not None else Settings.model_config.get("toml_file") or "payproc.toml")
        raise ConfigurationError(f"{name.resolve()} is not valid TOML: {error}") from None


def _known_keys(model: type[BaseModel]) -> dict[str, str]:
    """Upper-cased key -> the name the model declares (field or alias)."""
    known: dict[str, str] = {}
    for name, field in model.model_fields.items():
        known.setdefault(name.upper(), name)
        if field.alias:
            known.setdefault(field.alias.upper(), field.alias)
    return known


def validate_backend_section(model: type[BaseModel], section: BackendSettings) -> BaseModel:
    """Validate the ``PROCESSOR`` section with the backend's own model.

    Keys are matched to the model's declared names whatever their case (the
    environment lower-cases them). A key the model does not declare is an
    error naming the closest declared one: a misspelt ``TIMOUT`` must not
    leave the default in force silently.
    """
    known = _known_keys(model)
    raw: dict[str, Any] = {}
    unknown: list[str] = []
    for key, value in section.model_dump(exclude_unset=True).items():
        name = known.get(key.upper())
        if name is None:
            unknown.append(key)
        else:
            raw[name] = value
    raw[known.get("BACKEND", "BACKEND")] = section.BACKEND
    if unknown:
        raise ConfigurationError("; ".join(
            f"PROCESSOR.{key} is not a setting of backend {section.BACKEND!r}{_closest(key, known)}"
            for key in sorted(unknown)
        ))
    try:
        validated = model.model_validate(raw)
    except ValidationError as error:
        raise ConfigurationError(
            f"invalid settings for backend {section.BACKEND!r}: {_describe(error, 'PROCESSOR.')}"
        ) from None
    empty = sorted(name for name, value in validated if isinstance(value, SecretStr) and not value.get_secret_value())
    if empty:
        # PAYPROC_PROCESSOR__PRIV_KEY= (a variable a deployment forgot to
        # fill) is a mistake, not "no key": said now, not at the first payment.
        raise ConfigurationError("; ".join(
            f"PROCESSOR.{name} is set but empty: give its value, or leave it out" for name in empty))
    return validated
