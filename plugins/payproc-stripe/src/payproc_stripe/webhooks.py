"""Verifying and reading Stripe webhooks.

The ``Stripe-Signature`` header is ``t=<unix time>,v1=<hex>[,v1=<hex>…]``;
``v1`` is HMAC-SHA256 of ``"<t>.<raw body>"`` with the endpoint's signing
secret. Several ``v1`` values appear while Stripe rolls a secret, and we
accept several secrets for our own rotation. Signatures are compared in
constant time, and a timestamp more than the tolerance away from now (past
*or* future) is refused, so a captured delivery cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from payproc.errors import WebhookVerificationError
from payproc.types import DisputeInfo, DisputeKind, EventType, WebhookEvent

from .amounts import from_stripe
from .charges import payment_key, receipt, timestamp
from .intents import next_action

__all__ = ["parse_event", "sign", "verify"]

CHARGE_EVENTS = {
    "charge.succeeded": EventType.CHARGE_SUCCEEDED,
    "charge.failed": EventType.CHARGE_FAILED,
    "charge.captured": EventType.CHARGE_CAPTURED,
    "charge.refunded": EventType.CHARGE_REFUNDED,
}
DISPUTE_EVENTS = {
    "charge.dispute.created": EventType.DISPUTE_CREATED,
    "charge.dispute.updated": EventType.DISPUTE_UPDATED,
}
#: ``charge.dispute.closed`` by final status: ``won`` gives the money back,
#: ``lost`` keeps it with the cardholder; ``warning_closed`` (an inquiry that
#: never became a chargeback), ``prevented`` (stopped before it became one)
#: and ``charge_refunded`` close a dispute with no money moving.
DISPUTE_CLOSED = {
    "won": EventType.DISPUTE_WON,
    "lost": EventType.DISPUTE_LOST,
    "warning_closed": EventType.DISPUTE_CLOSED,
    "prevented": EventType.DISPUTE_CLOSED,
    "charge_refunded": EventType.DISPUTE_CLOSED,
}
#: PaymentIntent events (keyed, like every event, by the PaymentIntent id).
#: ``payment_intent.succeeded`` is left out: ``charge.succeeded`` reports the
#: same payment with its receipt.
INTENT_EVENTS = {
    "payment_intent.requires_action": EventType.CHARGE_REQUIRES_ACTION,
    "payment_intent.processing": EventType.CHARGE_PENDING,
    "payment_intent.canceled": EventType.CHARGE_CANCELED,
}
#: Payout events; a canceled payout, like a failed one, puts the money back on the balance.
PAYOUT_EVENTS = {
    "payout.paid": EventType.TRANSFER_PAID,
    "payout.failed": EventType.TRANSFER_FAILED,
    "payout.canceled": EventType.TRANSFER_FAILED,
}


def sign(body: bytes, secret: str, at: int) -> str:
    """The ``Stripe-Signature`` header Stripe would send (used by tests and tools)."""
    digest = hmac.new(secret.encode(), b"%d." % at + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def _parse_header(header: str) -> tuple[int, list[str]]:
    stamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            raise WebhookVerificationError("malformed Stripe-Signature header")
        if key == "t":
            try:
                stamp = int(value)
            except ValueError:
                raise WebhookVerificationError("malformed timestamp in Stripe-Signature header") from None
        elif key == "v1":
            signatures.append(value)
    if stamp is None:
        raise WebhookVerificationError("no timestamp in Stripe-Signature header")
    if not signatures:
        raise WebhookVerificationError("no v1 signature in Stripe-Signature header")
    return stamp, signatures


def verify(
    body: bytes,
    headers: Mapping[str, str],
    secrets: Sequence[str],
    tolerance: int,
    now: Callable[[], float] = time.time,
) -> None:
    """Raise :class:`WebhookVerificationError` unless ``body`` is signed by one of ``secrets``."""
    if not secrets:
        raise WebhookVerificationError("no webhook secret is configured: refusing every webhook")
    header = headers.get("stripe-signature")
    if not header:
        raise WebhookVerificationError("missing Stripe-Signature header")
    stamp, signatures = _parse_header(header)
    if abs(now() - stamp) > tolerance:
        raise WebhookVerificationError(f"webhook timestamp is outside the {tolerance} s tolerance")
    signed = b"%d." % stamp + body
    matched = False
    for secret in secrets:
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        for signature in signatures:
            matched |= hmac.compare_digest(expected, signature)
    if not matched:
        raise WebhookVerificationError("Stripe-Signature does not match any configured webhook secret")


def _refund_of(charge: dict[str, Any], previous: Mapping[str, Any]) -> tuple[int | None, str | None]:
    """The amount and id of the refund a ``charge.refunded`` event reports."""
    currency = charge["currency"]
    total = charge.get("amount_refunded") or 0
    before = previous.get("amount_refunded")
    amount = total - before if isinstance(before, int) else None
    refunds = (charge.get("refunds") or {}).get("data") or []
    latest = max(refunds, key=lambda refund: refund.get("created") or 0) if refunds else None
    if latest is not None and (amount is None or amount == latest.get("amount")):
        return from_stripe(latest["amount"], currency), latest.get("id")
    if amount is None and len(refunds) == 0 and total == charge.get("amount"):
        amount = total  # a single full refund
    return (from_stripe(amount, currency) if amount is not None else None), None


def _id(value: Any) -> str | None:
    return value.get("id") if isinstance(value, dict) else value if isinstance(value, str) else None


def dispute_info(dispute: dict[str, Any]) -> DisputeInfo:
    """Stripe's figures for a dispute.

    An inquiry (``warning_*`` statuses, or a card dispute whose ``case_type``
    is ``inquiry``) moves no money; anything else is a chargeback. The amount
    is the disputed amount (disputes can be partial); the fee is the
    ``stripe_fee`` of the dispute's balance transactions (its withdrawal),
    unknown (``None``) until Stripe has made one.
    """
    status = str(dispute.get("status") or "")
    case = ((dispute.get("payment_method_details") or {}).get("card") or {}).get("case_type")
    inquiry = status.startswith("warning_") or case == "inquiry"
    currency = dispute.get("currency")
    transactions = [item for item in dispute.get("balance_transactions") or [] if isinstance(item, dict)]
    fee = sum(
        from_stripe(detail["amount"], detail.get("currency") or item["currency"])
        for item in transactions
        for detail in item.get("fee_details") or []
        if detail.get("type") == "stripe_fee"
    )
    return DisputeInfo(
        processor_key=str(dispute.get("id")),
        kind=DisputeKind.INQUIRY if inquiry else DisputeKind.CHARGEBACK,
        status=status,
        amount=from_stripe(dispute["amount"], currency) if currency and dispute.get("amount") is not None else None,
        currency=currency,
        fee=fee if transactions else (0 if inquiry else None),
    )


def parse_event(body: bytes) -> WebhookEvent:
    """The normalized event in a verified body."""
    try:
        event = json.loads(body)
        kind = event["type"]
        data = event["data"]
        obj = data["object"]
        event_id = event["id"]
    except (ValueError, KeyError, TypeError):
        raise WebhookVerificationError("the webhook body is not a Stripe event") from None
    common = {
        "event_id": event_id,
        "created_at": timestamp(event.get("created")),
        "processor_type": kind,
        "livemode": bool(event.get("livemode")),
    }
    if kind in CHARGE_EVENTS:
        currency = obj["currency"]
        amount: int | None = from_stripe(obj["amount"], currency)
        refund_key = None
        if kind == "charge.refunded":
            amount, refund_key = _refund_of(obj, data.get("previous_attributes") or {})
        return WebhookEvent(
            type=CHARGE_EVENTS[kind], charge_processor_key=payment_key(obj), amount=amount, currency=currency,
            refund_processor_key=refund_key, receipt=receipt(obj), **common,
        )
    if kind in DISPUTE_EVENTS or kind == "charge.dispute.closed":
        normalized = DISPUTE_EVENTS.get(kind) or DISPUTE_CLOSED.get(obj.get("status", ""), EventType.IGNORED)
        info = dispute_info(obj)
        return WebhookEvent(
            type=normalized, charge_processor_key=_id(obj.get("payment_intent")) or _id(obj.get("charge")),
            amount=info.amount,
            currency=info.currency, dispute=info, **common,
        )
    if kind in INTENT_EVENTS:
        currency = obj["currency"]
        return WebhookEvent(
            type=INTENT_EVENTS[kind], charge_processor_key=obj["id"], amount=from_stripe(obj["amount"], currency),
            currency=currency, next_action=next_action(obj, event.get("account")), **common,
        )
    if kind == "refund.failed" or (kind == "charge.refund.updated" and obj.get("status") == "failed"):
        return WebhookEvent(
            type=EventType.REFUND_FAILED,
            charge_processor_key=_id(obj.get("payment_intent")) or _id(obj.get("charge")),
            amount=from_stripe(obj["amount"], obj["currency"]), currency=obj["currency"],
            refund_processor_key=obj.get("id"), **common,
        )
    if kind in PAYOUT_EVENTS:
        return WebhookEvent(
            type=PAYOUT_EVENTS[kind], amount=from_stripe(obj["amount"], obj["currency"]),
            currency=obj["currency"], transfer_processor_key=obj.get("id"), **common,
        )
    return WebhookEvent(type=EventType.IGNORED, **common)
