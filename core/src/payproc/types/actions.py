"""What the customer must do before a payment completes (3-D Secure, a redirect)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["ActionKind", "NextAction"]


class ActionKind(str, enum.Enum):
    """How the customer is brought to act on a payment (1.1)."""

    #: Send the customer's browser to ``NextAction.url``; they come back to
    #: the return URL and the core calls ``complete_payment``.
    REDIRECT = "redirect"
    #: The processor's own browser script finishes the payment in the page
    #: (Stripe.js ``confirmCardPayment``, Razorpay Checkout, Flutterwave
    #: inline) with ``NextAction.values``.
    SCRIPT = "script"


@dataclass(frozen=True, slots=True)
class NextAction:
    """What the customer must do to finish a payment (1.1).

    ``values`` go to the browser as they are (a client secret, an order id):
    none of them may be a server secret.
    """

    kind: ActionKind
    url: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    expires_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (stored with the charge, sent to the page)."""
        return {
            "kind": self.kind.value,
            "url": self.url,
            "values": dict(self.values),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NextAction:
        expires = data.get("expires_at")
        return cls(
            kind=ActionKind(data["kind"]),
            url=data.get("url"),
            values=dict(data.get("values") or {}),
            expires_at=datetime.fromisoformat(expires) if expires else None,
        )
