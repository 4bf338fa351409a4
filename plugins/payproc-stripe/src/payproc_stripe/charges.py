"""Reading Stripe charges and cards into payproc's values."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from payproc.types import CardInfo, ChargeInfo, ChargeStatus, Receipt

from .amounts import from_stripe

__all__ = ["card_info", "charge_info", "payment_key", "receipt", "timestamp"]


def timestamp(value: int | None) -> datetime:
    return datetime.fromtimestamp(value or 0, tz=timezone.utc)


def _card(details: dict[str, Any] | None) -> dict[str, Any]:
    return (details or {}).get("card") or {}


def _exp(card: dict[str, Any]) -> date | None:
    year, month = card.get("exp_year"), card.get("exp_month")
    return date(int(year), int(month), 1) if year and month else None


def receipt(charge: dict[str, Any]) -> Receipt:
    """last4, expiry, cardholder name and brand of a charge's card."""
    card = _card(charge.get("payment_method_details"))
    name = (charge.get("billing_details") or {}).get("name")
    return Receipt(last4=card.get("last4"), exp_date=_exp(card), card_name=name, brand=card.get("brand"))


def card_info(payment_method: dict[str, Any]) -> CardInfo:
    """A PaymentMethod (or legacy card source) as the card on file."""
    if payment_method.get("object") == "card":  # legacy source
        card, name = payment_method, payment_method.get("name")
    else:
        card = payment_method.get("card") or {}
        name = (payment_method.get("billing_details") or {}).get("name")
    return CardInfo(last4=card.get("last4"), exp_date=_exp(card), card_name=name, brand=card.get("brand"))


def _status(charge: dict[str, Any]) -> ChargeStatus:
    status = charge.get("status")
    if status == "succeeded":
        return ChargeStatus.SUCCEEDED
    if status == "failed":
        return ChargeStatus.FAILED
    return ChargeStatus.PENDING


def payment_key(charge: dict[str, Any]) -> str:
    """The processor key payproc holds for a Stripe payment: its PaymentIntent
    id, the one handle that is the same before, during and after 3-D Secure,
    for refunds, disputes and every webhook; a charge made without a
    PaymentIntent (legacy Charges API) keeps its ``ch_`` id."""
    intent = charge.get("payment_intent")
    intent_id = intent.get("id") if isinstance(intent, dict) else intent
    return str(intent_id or charge["id"])


def charge_info(charge: dict[str, Any]) -> ChargeInfo:
    currency = charge["currency"]
    return ChargeInfo(
        processor_key=payment_key(charge),
        status=_status(charge),
        amount=from_stripe(charge["amount"], currency),
        currency=currency,
        amount_refunded=from_stripe(charge.get("amount_refunded") or 0, currency),
        created_at=timestamp(charge.get("created")),
        receipt=receipt(charge),
        failure_code=charge.get("failure_code"),
        failure_message=charge.get("failure_message"),
        disputed=bool(charge.get("disputed")),
    )
