"""The ``PROCESSOR`` settings section of the legacy v2 backend."""

from __future__ import annotations

from payproc.settings import BackendSettings
from pydantic import Field, SecretStr

__all__ = ["LegacySettings"]

#: Flutterwave's v2 API hosts, as rave_python 1.5 knows them (sandbox, live).
SANDBOX_API_BASE = "https://ravesandboxapi.flutterwave.com/"
LIVE_API_BASE = "https://api.flutterwave.com/"


class LegacySettings(BackendSettings):
    """v2 keys from the Flutterwave dashboard, and the secret hash of its
    webhook settings as ``WEBHOOK_SECRET``.

    ``PRODUCTION`` picks the live API; left unset it is inferred from the
    secret key (Flutterwave's test keys contain ``_TEST``). ``API_BASE``
    overrides the host (tests point it at a local fake). ``TIMEOUT`` bounds
    every call: rave_python sets no timeout of its own.
    """

    PUB_KEY: str = Field(min_length=1)
    PRIV_KEY: SecretStr
    PRODUCTION: bool | None = None
    TIMEOUT: float = Field(default=30.0, gt=0, le=300)

    @property
    def production(self) -> bool:
        if self.PRODUCTION is not None:
            return self.PRODUCTION
        return "_TEST" not in self.PRIV_KEY.get_secret_value()

    @property
    def api_base(self) -> str:
        base = self.API_BASE or (LIVE_API_BASE if self.production else SANDBOX_API_BASE)
        return base.rstrip("/") + "/"
