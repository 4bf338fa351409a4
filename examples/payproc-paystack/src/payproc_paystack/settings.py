"""The ``PROCESSOR`` section as the Paystack backend reads it."""

from __future__ import annotations

from payproc.settings import BackendSettings
from pydantic import Field, SecretStr

__all__ = ["PaystackBackendSettings"]


class PaystackBackendSettings(BackendSettings):
    """Settings of the Paystack backend.

    ``PRIV_KEY`` is the secret key (``sk_test_…``/``sk_live_…``), ``PUB_KEY``
    the public key the Popup script loads with. Paystack signs callbacks
    with the secret key: set ``WEBHOOK_SECRET`` to the same value to accept
    them (without it every callback is refused). ``API_BASE`` points at a
    local fake in tests; ``TIMEOUT`` is how long a call may take before its
    outcome is reported unknown.
    """

    PRIV_KEY: SecretStr
    API_BASE: str = "https://api.paystack.co"
    TIMEOUT: float = Field(default=30.0, gt=0)
