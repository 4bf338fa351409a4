"""Razorpay webhooks: verify, then normalize.

Razorpay signs the raw body with the webhook secret (``X-Razorpay-Signature``)
and names each delivery in ``X-Razorpay-Event-Id``; the same event delivered
twice carries the same id, which is what the core de-duplicates on. The body
carries no event id of its own, so a delivery without the header gets a
digest of its body as id (the same bytes, the same id).

Events arrive in any order; each one carries the entity as it was when the
event was raised and the event's ``created_at``, so the core can tell a stale
``payment.failed`` from a newer ``payment.captured``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from payproc.errors import WebhookVerificationError
from payproc.types import EventType, WebhookEvent

from .convert import from_timestamp, receipt
from .disputes import dispute_info
from .signatures import signature_matches, webhook_signature

__all__ = ["EVENT_TYPES", "parse_event"]

#: Razorpay event names and the normalized events they become.
#: ``payment.authorized`` asks the core to capture (``capture_charge``):
#: checkout orders are captured by the backend, and an authorization left
#: alone is refunded by Razorpay.
EVENT_TYPES: dict[str, EventType] = {
    "payment.authorized": EventType.CHARGE_AUTHORIZED,
    "payment.captured": EventType.CHARGE_SUCCEEDED,
    "payment.failed": EventType.CHARGE_FAILED,
    "refund.processed": EventType.CHARGE_REFUNDED,
    "refund.failed": EventType.REFUND_FAILED,
    "payment.dispute.created": EventType.DISPUTE_CREATED,
    "payment.dispute.under_review": EventType.DISPUTE_UPDATED,
    "payment.dispute.action_required": EventType.DISPUTE_UPDATED,
    "payment.dispute.closed": EventType.DISPUTE_CLOSED,
    "payment.dispute.won": EventType.DISPUTE_WON,
    "payment.dispute.lost": EventType.DISPUTE_LOST,
    "transfer.processed": EventType.TRANSFER_PAID,
    "transfer.failed": EventType.TRANSFER_FAILED,
}


def _entity(payload: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    wrapper = payload.get(name)
    if isinstance(wrapper, Mapping) and isinstance(wrapper.get("entity"), Mapping):
        return wrapper["entity"]
    return {}


def parse_event(body: bytes, headers: Mapping[str, str], secret: str | None) -> WebhookEvent:
    """Verify ``body`` against ``X-Razorpay-Signature`` and normalize it."""
    if not secret:
        raise WebhookVerificationError("no Razorpay WEBHOOK_SECRET is configured: refusing every webhook")
    given = headers.get("x-razorpay-signature")
    if not given:
        raise WebhookVerificationError("missing X-Razorpay-Signature header")
    if not signature_matches(webhook_signature(body, secret), given):
        raise WebhookVerificationError("X-Razorpay-Signature does not match the body")
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookVerificationError("the webhook body is not JSON") from None
    if not isinstance(event, Mapping) or not isinstance(event.get("event"), str):
        raise WebhookVerificationError("the webhook body is not a Razorpay event")
    name = event["event"]
    payload = event.get("payload") if isinstance(event.get("payload"), Mapping) else {}
    payment = _entity(payload, "payment")
    refund = _entity(payload, "refund")
    dispute = _entity(payload, "dispute")
    transfer = _entity(payload, "transfer")
    event_id = headers.get("x-razorpay-event-id") or "sha256:" + hashlib.sha256(body).hexdigest()
    kind = EVENT_TYPES.get(name, EventType.IGNORED)

    charge_key = payment.get("id") or refund.get("payment_id") or dispute.get("payment_id") or None
    amount: int | None = None
    currency: str | None = None
    refund_key: str | None = None
    transfer_key: str | None = None
    source: Mapping[str, Any] = {}
    if name.startswith("refund."):
        source, refund_key = refund, refund.get("id")
    elif name.startswith("payment.dispute."):
        source = dispute
    elif name.startswith("transfer."):
        source, transfer_key = transfer, transfer.get("id")
        charge_key = transfer.get("source") if str(transfer.get("source", "")).startswith("pay_") else None
    elif payment:
        source = payment
    if isinstance(source.get("amount"), int):
        amount = source["amount"]
    if isinstance(source.get("currency"), str):
        currency = source["currency"].lower()
    disputed = dispute_info(dispute) if name.startswith("payment.dispute.") else None
    if disputed is not None and disputed.amount is not None:
        amount = disputed.amount
    return WebhookEvent(
        event_id=event_id,
        type=kind,
        created_at=from_timestamp(event.get("created_at")),
        charge_processor_key=charge_key,
        amount=amount,
        currency=currency,
        refund_processor_key=refund_key,
        # Webhook payments carry no card details: None lets the core read
        # them with retrieve_charge (``expand[]=card``) instead of an empty receipt.
        receipt=receipt(payment) if isinstance(payment.get("card"), Mapping) else None,
        processor_type=name,
        livemode=False,
        dispute=disputed,
        transfer_processor_key=transfer_key,
        # the order the payment was made on: the charge knows only that
        # until its checkout (or settle) records the payment id
        charge_reference=payment.get("order_id") or None,
    )
