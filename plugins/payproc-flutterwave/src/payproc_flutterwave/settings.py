"""The ``PROCESSOR`` settings section of the Flutterwave v3 backend."""

from __future__ import annotations

from typing import Literal

from payproc.settings import BackendSettings
from pydantic import Field, SecretStr

__all__ = ["API_BASE", "FlutterwaveSettings"]

#: Flutterwave's v3 API: one host for test and live mode (the keys decide).
API_BASE = "https://api.flutterwave.com/"
#: Flutterwave's v3 inline script (``FlutterwaveCheckout``).
INLINE_SCRIPT = "https://checkout.flutterwave.com/v3.js"


class FlutterwaveSettings(BackendSettings):
    """Keys from the Flutterwave dashboard (Settings, API Keys): ``PUB_KEY``
    goes to the browser, ``PRIV_KEY`` (the secret key) authenticates every
    API call as a Bearer token; ``WEBHOOK_SECRET`` is the "secret hash" of
    the dashboard's webhook settings.

    ``CHECKOUT`` picks how the customer pays: ``"inline"`` (the page opens
    Flutterwave's modal with ``FlutterwaveCheckout``) or ``"hosted"`` (the
    customer is sent to the link ``/v3/payments`` returns and comes back to
    the return URL). ``PAYMENT_OPTIONS`` is passed to both (``card`` keeps
    card-on-file possible). ``API_BASE`` overrides the host (tests point it
    at a local fake). ``TIMEOUT`` bounds every call, in seconds.
    """

    PUB_KEY: str = Field(min_length=1)
    PRIV_KEY: SecretStr
    CHECKOUT: Literal["inline", "hosted"] = "inline"
    PAYMENT_OPTIONS: str = Field(default="card", min_length=1)
    TIMEOUT: float = Field(default=30.0, gt=0, le=300)

    @property
    def api_base(self) -> str:
        return (self.API_BASE or API_BASE).rstrip("/") + "/"

    @property
    def test_mode(self) -> bool:
        """Flutterwave's test keys contain ``_TEST``."""
        return "_TEST" in self.PRIV_KEY.get_secret_value()
