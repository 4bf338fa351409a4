"""Reading Razorpay entities into payproc's values.

Payment ``status`` is ``created``, ``authorized``, ``captured``,
``refunded`` or ``failed``. ``refunded`` covers both a captured payment
refunded in full (money came and went) and an authorization Razorpay gave
back without capture (no money ever came): ``captured`` tells them apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any

from payproc.types import CardInfo, ChargeStatus, Receipt

__all__ = ["card_info", "charge_status", "from_timestamp", "receipt", "token_is_usable"]


def from_timestamp(value: Any) -> datetime:
    """Razorpay's ``created_at`` (Unix seconds) as an aware datetime."""
    try:
        return datetime.fromtimestamp(int(value), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError):
        return datetime.now(timezone.utc)


def charge_status(payment: Mapping[str, Any]) -> ChargeStatus:
    """payproc's view of a payment's status."""
    status = payment.get("status")
    if status == "captured" or (status == "refunded" and payment.get("captured")):
        return ChargeStatus.SUCCEEDED
    if status in ("created", "authorized"):
        return ChargeStatus.PENDING
    return ChargeStatus.FAILED


def _exp_date(card: Mapping[str, Any]) -> date | None:
    try:
        return date(int(card["expiry_year"]), int(card["expiry_month"]), 1)
    except (KeyError, TypeError, ValueError):
        return None


def receipt(payment: Mapping[str, Any]) -> Receipt:
    """What a receipt may show of the payment's card (``card`` is present
    when the payment was fetched with ``expand[]=card``)."""
    card = payment.get("card")
    if not isinstance(card, Mapping):
        return Receipt()
    last4 = card.get("last4")
    return Receipt(
        last4=str(last4) if last4 not in (None, "") else None,
        exp_date=_exp_date(card),
        card_name=card.get("name") or None,
        brand=card.get("network") or None,
    )


def card_info(token: Mapping[str, Any]) -> CardInfo:
    """The card of a saved token."""
    card = token.get("card") if isinstance(token.get("card"), Mapping) else {}
    last4 = card.get("last4")
    return CardInfo(
        last4=str(last4) if last4 not in (None, "") else None,
        exp_date=_exp_date(card),
        card_name=card.get("name") or None,
        brand=card.get("network") or None,
    )


def token_is_usable(token: Mapping[str, Any], now: datetime | None = None) -> bool:
    """A saved card token that can still be charged."""
    if token.get("method", "card") != "card":
        return False
    if token.get("status") in ("deactivated", "expired", "cancelled", "rejected", "paused"):
        return False
    expired_at = token.get("expired_at")
    if expired_at:
        now = now or datetime.now(timezone.utc)
        if from_timestamp(expired_at) <= now:
            return False
    return True
