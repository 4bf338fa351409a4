"""The ``PROCESSOR`` settings section the Stripe backend understands.

The seed's keys keep their names and meaning (``MODE`` 0/1/2 for
LOCAL/FORWARD/REMOTE, ``USE_PLATFORM_KEYS``, ``CLIENT_ID``…); the additions
are the ones a client needs to be testable and safe: where the API lives
(``API_BASE``), retries and timeouts, and several webhook secrets so a secret
can be rotated without dropping deliveries.
"""

from __future__ import annotations

import enum
from typing import Any

from payproc.settings import BackendSettings
from pydantic import Field, SecretStr, field_validator

__all__ = ["API_VERSION", "Mode", "StripeSettings"]

#: The Stripe API version payproc-stripe is written and tested for: the one
#: stripe 16.1.0 generates its request parameters for (``stripe/_api_version.py``).
#: Every request carries it (``Stripe-Version``), whatever the account's default.
API_VERSION = "2026-10-28.endive"


class Mode(enum.IntEnum):
    """Where customers and charges live (see the README's table)."""

    LOCAL = 0  # everything on the account of PRIV_KEY; the broker pays Stripe's fees
    FORWARD = 1  # destination charges: the platform charges, Stripe transfers to the provider
    REMOTE = 2  # direct charges on the provider's connected account; the provider pays the fees


class StripeSettings(BackendSettings):
    """Validated ``PROCESSOR`` section for ``BACKEND = "stripe"``."""

    BACKEND: str = "stripe"
    MODE: Mode = Mode.LOCAL
    #: Base URL of the REST API (``https://api.stripe.com`` when unset).
    API_BASE: str | None = None
    #: Base URL of Connect OAuth (``https://connect.stripe.com``; ``API_BASE`` when only that is set).
    CONNECT_BASE: str | None = None
    #: The ``Stripe-Version`` sent on every request. Another value is the
    #: user's explicit choice: payproc-stripe is tested against the default only.
    API_VERSION: str = Field(default=API_VERSION, pattern=r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$")
    #: Network retries the SDK makes (with the same idempotency key).
    MAX_NETWORK_RETRIES: int = Field(default=2, ge=0, le=10)
    #: Seconds before a request is abandoned (its outcome is then unknown).
    TIMEOUT: float = Field(default=30.0, gt=0)
    #: Extra webhook signing secrets accepted besides ``WEBHOOK_SECRET``
    #: (which may itself hold a comma-separated list), for rotation.
    WEBHOOK_SECRETS: tuple[SecretStr, ...] = ()
    #: Largest age, in seconds, of a signed webhook (and largest skew into the future).
    WEBHOOK_TOLERANCE: int = Field(default=300, ge=1)
    #: Return only the publishable key from ``get_payment_context`` (djaodjin's USE_STRIPE_V2).
    USE_STRIPE_V2: bool = False
    #: Stripe's dispute fee, in minor units of the charge's currency.
    DISPUTE_FEE: int = Field(default=1500, ge=0)
    #: Where the application's "disconnect Stripe" view lives; ``{provider}`` is the profile slug.
    DEAUTHORIZE_URL: str = "/billing/{provider}/bank/deauthorize/"
    #: Skip the OAuth exchange and store fixed keys (djaodjin's BYPASS_PROCESSOR_AUTH; never in production).
    BYPASS_PROCESSOR_AUTH: bool = False

    @field_validator("MODE", mode="before")
    @classmethod
    def _mode_by_name(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip().isdigit():
            try:
                return Mode[value.strip().upper()]
            except KeyError:
                raise ValueError("MODE must be 0/LOCAL, 1/FORWARD or 2/REMOTE") from None
        if isinstance(value, str):
            return int(value)
        return value

    @field_validator("WEBHOOK_SECRETS", mode="before")
    @classmethod
    def _split_secrets(cls, value: Any) -> Any:
        if isinstance(value, (str, SecretStr)):
            raw = value.get_secret_value() if isinstance(value, SecretStr) else value
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        return value

    def webhook_secrets(self) -> tuple[str, ...]:
        """Every secret a webhook signature may be made with (none: fail closed)."""
        secrets: list[str] = []
        if self.WEBHOOK_SECRET is not None:
            secrets.extend(part.strip() for part in self.WEBHOOK_SECRET.get_secret_value().split(","))
        secrets.extend(secret.get_secret_value().strip() for secret in self.WEBHOOK_SECRETS)
        return tuple(secret for secret in secrets if secret)
