"""The ``PROCESSOR`` section as the fake backend reads it."""

from __future__ import annotations

from payproc.settings import BackendSettings
from pydantic import Field

__all__ = ["DEFAULT_ACCOUNT", "FakeSettings"]

DEFAULT_ACCOUNT = "acct_fake"


class FakeSettings(BackendSettings):
    """Settings of the fake backend.

    ``ACCOUNT`` names the simulated processor account: two backend instances
    with the same ``ACCOUNT`` see the same charges, as two processes talking
    to one real processor would. ``LATENCY_MS`` makes every processor call
    sleep that long (benchmarks use 100). ``WEBHOOK_SECRET`` stays optional:
    without it every callback is refused (fail closed).
    """

    PUB_KEY: str | None = "pk_fake"
    ACCOUNT: str = Field(default=DEFAULT_ACCOUNT, min_length=1)
    LATENCY_MS: int = Field(default=0, ge=0)
