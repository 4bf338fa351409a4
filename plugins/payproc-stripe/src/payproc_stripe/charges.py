"""Reading Stripe charges and PaymentIntents into payproc's values."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from payproc.errors import CardError, IntegrityMismatch
from payproc.types import CardInfo, ChargeInfo, ChargeStatus, PaymentResult, Receipt

from .amounts import from_stripe

__all__ = ["card_info", "charge_info", "intent_info", "payment_result", "receipt", "timestamp"]


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


def charge_info(charge: dict[str, Any]) -> ChargeInfo:
    currency = charge["currency"]
    return ChargeInfo(
        processor_key=charge["id"],
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


def intent_info(intent: dict[str, Any]) -> ChargeInfo:
    """A PaymentIntent (``latest_charge`` expanded) as the charge payproc knows.

    With a charge, the charge says what happened. Without one the customer
    has not paid yet: an intent that still awaits its payment method,
    confirmation or the customer's action may still be paid, so it is never
    reported failed or missing.
    """
    latest = intent.get("latest_charge")
    if isinstance(latest, dict):
        return charge_info(latest)
    currency = intent.get("currency") or ""
    status = intent.get("status")
    if status == "canceled":
        state = getattr(ChargeStatus, "CANCELED", ChargeStatus.FAILED)
    elif status == "requires_action":
        state = getattr(ChargeStatus, "REQUIRES_ACTION", ChargeStatus.PENDING)
    elif status in ("requires_payment_method", "requires_confirmation"):
        state = getattr(ChargeStatus, "AWAITING_CUSTOMER", ChargeStatus.PENDING)
    else:  # processing, requires_capture
        state = ChargeStatus.PENDING
    return ChargeInfo(
        processor_key=None,
        status=state,
        amount=from_stripe(intent.get("amount") or 0, currency) if currency else 0,
        currency=currency,
        created_at=timestamp(intent.get("created")),
    )


def payment_result(intent: dict[str, Any], amount: int, currency: str) -> PaymentResult:
    """The result of a confirmed PaymentIntent (``latest_charge`` expanded).

    Raises :class:`CardError` for a declined intent and
    :class:`IntegrityMismatch` when Stripe charged another amount or currency.
    """
    charge = intent.get("latest_charge")
    if isinstance(charge, str) or charge is None:
        charge = {}
    status = intent.get("status")
    error = intent.get("last_payment_error") or {}
    if status in ("requires_payment_method", "canceled") or charge.get("status") == "failed":
        raise CardError(
            error.get("message") or charge.get("failure_message") or "Your card was declined.",
            error.get("code") or charge.get("failure_code") or "card_declined",
            charge_processor_key=charge.get("id") or error.get("charge"),
        )
    if status == "requires_action":
        raise CardError(
            "This payment requires the cardholder's authentication.",
            "authentication_required",
            charge_processor_key=charge.get("id"),
        )
    got_currency = intent.get("currency", "")
    got_amount = from_stripe(intent.get("amount", 0), got_currency) if got_currency else 0
    if got_currency != currency or got_amount != amount:
        raise IntegrityMismatch(
            f"Stripe answered {got_amount} {got_currency} for a payment of {amount} {currency} ({intent.get('id')})"
        )
    if not charge.get("id"):
        raise IntegrityMismatch(f"PaymentIntent {intent.get('id')} is {status} but has no charge")
    payment_method = intent.get("payment_method")
    card_key = intent.get("customer") if intent.get("setup_future_usage") and payment_method else None
    return PaymentResult(
        processor_key=charge["id"],
        amount=got_amount,
        currency=got_currency,
        created_at=timestamp(charge.get("created")),
        status=ChargeStatus.SUCCEEDED if status == "succeeded" else ChargeStatus.PENDING,
        receipt=receipt(charge),
        card_key=card_key if isinstance(card_key, str) else None,
    )
