"""The ``PROCESSOR`` section as the PayPal backend reads it."""

from __future__ import annotations

from payproc.settings import BackendSettings
from pydantic import Field, SecretStr

__all__ = ["PayPalBackendSettings"]


class PayPalBackendSettings(BackendSettings):
    """Settings of the PayPal backend.

    ``CLIENT_ID`` and ``PRIV_KEY`` are the REST app's client id and secret
    (OAuth 2 client credentials). ``WEBHOOK_ID`` is the id PayPal gave the
    webhook listener: PayPal signs deliveries with its own certificate, and
    the backend asks PayPal to verify each one
    (``/v1/notifications/verify-webhook-signature``) — there is no shared
    secret, so ``WEBHOOK_SECRET`` is not used. ``API_BASE`` is the sandbox
    by default (``https://api-m.paypal.com`` for live) or a local fake in
    tests; ``TIMEOUT`` is how long a call may take before its outcome is
    reported unknown.
    """

    CLIENT_ID: str
    PRIV_KEY: SecretStr
    WEBHOOK_ID: str
    API_BASE: str = "https://api-m.sandbox.paypal.com"
    TIMEOUT: float = Field(default=30.0, gt=0)
