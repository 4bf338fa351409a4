"""The ``PROCESSOR`` settings section of the Razorpay backend.

``PUB_KEY`` is the Razorpay key id (``rzp_test_…``/``rzp_live_…``) and
``PRIV_KEY`` its key secret: the secret signs checkout answers, so it is
required and kept as a :class:`~pydantic.SecretStr`.
"""

from __future__ import annotations

from payproc.settings import BackendSettings
from pydantic import Field, SecretStr

__all__ = ["DEFAULT_API_BASE", "RazorpaySettings"]

DEFAULT_API_BASE = "https://api.razorpay.com"


class RazorpaySettings(BackendSettings):
    """Keys and knobs of the Razorpay backend."""

    BACKEND: str = "razorpay"
    PUB_KEY: str = Field(min_length=1)
    PRIV_KEY: SecretStr
    #: Razorpay's API root; tests point it at a local fake server.
    API_BASE: str | None = None
    #: Seconds to wait for Razorpay's answer; past it the outcome is unknown.
    TIMEOUT: float = Field(default=30.0, gt=0)
    #: Create Orders that Razorpay captures by itself. Off by default: the
    #: backend captures after checking the signature, amount and currency.
    AUTO_CAPTURE: bool = False
    #: Authorization amount of the order a card-update checkout pays
    #: (never captured: Razorpay refunds uncaptured authorizations).
    CARD_AUTH_AMOUNT: int = Field(default=100, ge=100)
    CARD_AUTH_CURRENCY: str = "inr"
    #: Ceiling of a recurring payment on a saved card (``token.max_amount``).
    TOKEN_MAX_AMOUNT: int = Field(default=1_500_000, ge=100)

    @property
    def api_base(self) -> str:
        return (self.API_BASE or DEFAULT_API_BASE).rstrip("/")
