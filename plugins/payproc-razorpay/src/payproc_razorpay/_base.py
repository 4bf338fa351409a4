"""What every story of the backend shares: the configured client.

The backend class (:mod:`payproc_razorpay.backend`) is assembled from one
mixin per story — payments, cards, refunds, transfers, webhooks — each
declaring its hookimpls and delegating the work to a module that imports the
SDK's side lazily. This base gives them the client and settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from payproc.errors import ConfigurationError

if TYPE_CHECKING:
    from .client import RazorpayClient
    from .settings import RazorpaySettings

__all__ = ["BackendBase", "notes_for"]


def notes_for(key: str | None, **values: str | None) -> dict[str, str]:
    """Razorpay ``notes`` (256 characters a value) that carry payproc's
    idempotency key and who the payment is for."""
    notes = {f"payproc_{name}": value[:256] for name, value in values.items() if value}
    if key:
        notes["payproc_idempotency_key"] = key[:256]
    return notes


class BackendBase:
    """The configured client and settings of one backend instance."""

    def __init__(self) -> None:
        self._settings: RazorpaySettings | None = None
        self._client: RazorpayClient | None = None

    @property
    def client(self) -> RazorpayClient:
        if self._client is None:
            raise ConfigurationError("the Razorpay backend is not configured (PUB_KEY and PRIV_KEY)")
        return self._client

    @property
    def settings(self) -> RazorpaySettings:
        return self.client.settings
