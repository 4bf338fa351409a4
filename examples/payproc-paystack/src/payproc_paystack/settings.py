"""The ``PROCESSOR`` section as the Paystack backend reads it."""

from __future__ import annotations

from payproc.settings import BackendSettings
from pydantic import Field, SecretStr

__all__ = ["PaystackBackendSettings"]


class PaystackBackendSettings(BackendSettings):
    """Settings of the Paystack backend.

    ``PRIV_KEY`` is required (the API key); ``API_BASE`` points at the
    processor, or at a local fake in tests; ``TIMEOUT`` is how long a call may
    take before its outcome is reported unknown. Add the processor's own keys
    here: payproc validates the section with this model at load time.
    """

    PRIV_KEY: SecretStr
    API_BASE: str = "https://api.paystack.example"
    TIMEOUT: float = Field(default=30.0, gt=0)
