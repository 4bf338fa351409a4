"""payproc's settings, read with pydantic-settings.

Sources, highest first: keyword arguments, the environment (``PAYPROC_``
prefix, ``__`` for nesting: ``PAYPROC_PROCESSOR__BACKEND=stripe``), a ``.env``
file, a ``payproc.toml`` file. A djaodjin-saas ``SAAS = {...}`` dict is
accepted as is through :meth:`Settings.from_saas`.

Settings are built by :func:`load_settings`, never at import time. The
``PROCESSOR`` section is validated twice: once loosely here, then by the
model the selected backend contributes (its ``settings_model`` hook), so each
backend checks its own keys with its own rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from .errors import ConfigurationError

__all__ = ["BackendSettings", "ProcessorSettings", "Settings", "load_settings"]

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


class RenewalSettings(BaseModel):
    """Batch renewals: how many charges run at once, how many processor calls
    start per second at most (across every process on PostgreSQL), and how
    processes share the due list on PostgreSQL (claimed in batches, each
    held for a lease)."""

    model_config = ConfigDict(frozen=True)

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

    model_config = ConfigDict(frozen=True)

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
    PROCESSOR: BackendSettings = Field(default_factory=BackendSettings)
    DATABASE_URL: str = DEFAULT_DATABASE_URL
    BROKER: str = "broker"
    RENEWALS: RenewalSettings = Field(default_factory=RenewalSettings)
    RETRIES: RetrySettings = Field(default_factory=RetrySettings)

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
            init_settings,
            env_settings,
            dotenv_settings,
            TomlConfigSettingsSource(settings_cls),
        )

    @classmethod
    def from_saas(cls, saas: Mapping[str, Any], **overrides: Any) -> Settings:
        """Settings from a djaodjin-saas ``SAAS`` dict, as is.

        ``PROCESSOR['INSTANCE_PK']`` and a top-level ``PROCESSOR_ID`` both set
        the processor profile (djaodjin reads only the former; its docs tell
        readers to set the latter).
        """
        values: dict[str, Any] = {}
        processor = dict(saas.get("PROCESSOR") or {})
        if "PROCESSOR_ID" in saas:
            values["PROCESSOR_ID"] = saas["PROCESSOR_ID"]
        if "INSTANCE_PK" in processor:
            values["PROCESSOR_ID"] = processor.pop("INSTANCE_PK")
        if processor:
            values["PROCESSOR"] = processor
        if saas.get("PROCESSOR_BACKEND_CALLABLE"):
            raise ConfigurationError(
                "SAAS['PROCESSOR_BACKEND_CALLABLE'] (a backend per provider) is not supported by "
                "payproc yet: one backend serves every provider"
            )
        values.update(overrides)
        return load_settings(**values)


def _describe(error: ValidationError, prefix: str = "") -> str:
    lines = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"])
        lines.append(f"{prefix}{key}: {item['msg']}")
    return "; ".join(lines)


def load_settings(toml_file: str | Path | None = None, **values: Any) -> Settings:
    """Build :class:`Settings` from keyword arguments and the environment.

    Raises :class:`~payproc.errors.ConfigurationError` naming each invalid key
    (never its value: it may be a secret).
    """
    try:
        if toml_file is not None:
            class _FromFile(Settings):
                model_config = SettingsConfigDict(toml_file=str(toml_file))

            return _FromFile(**values)
        return Settings(**values)
    except ValidationError as error:
        raise ConfigurationError(f"invalid settings: {_describe(error)}") from None


def validate_backend_section(model: type[BaseModel], section: BackendSettings) -> BaseModel:
    """Validate the ``PROCESSOR`` section with the backend's own model."""
    raw = section.model_dump(exclude_unset=True)
    raw["BACKEND"] = section.BACKEND
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise ConfigurationError(
            f"invalid settings for backend {section.BACKEND!r}: {_describe(error, 'PROCESSOR.')}"
        ) from None
