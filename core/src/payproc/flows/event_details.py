"""What a stored webhook event remembers beyond its type, charge, amount and
currency: an event that arrives before its charge is known is applied later,
and must then say everything the processor said (which dispute, which refund
or payout, the receipt), or a second dispute would look like the first and a
refund's key would be lost."""

from __future__ import annotations

from datetime import date
from typing import Any

from ..db.models import WebhookEventRow
from ..types import DisputeInfo, DisputeKind, EventType, NextAction, Receipt, WebhookEvent

__all__ = ["event_details", "stored_event"]


def event_details(event: WebhookEvent) -> dict[str, Any] | None:
    """The JSON kept with ``event``'s row (``None`` when there is nothing more)."""
    details: dict[str, Any] = {}
    if event.refund_processor_key:
        details["refund_processor_key"] = event.refund_processor_key
    if event.transfer_processor_key:
        details["transfer_processor_key"] = event.transfer_processor_key
    if event.dispute is not None:
        dispute = event.dispute
        details["dispute"] = {"processor_key": dispute.processor_key, "kind": dispute.kind.value,
                              "status": dispute.status, "amount": dispute.amount, "currency": dispute.currency,
                              "fee": dispute.fee}
    if event.receipt is not None:
        receipt = event.receipt
        details["receipt"] = {"last4": receipt.last4, "card_name": receipt.card_name, "brand": receipt.brand,
                              "exp_date": receipt.exp_date.isoformat() if receipt.exp_date else None}
    if event.next_action is not None:
        details["next_action"] = event.next_action.as_dict()
    if event.processor_type:
        details["processor_type"] = event.processor_type
    return details or None


def stored_event(row: WebhookEventRow, charge_processor_key: str) -> WebhookEvent:
    """The event ``row`` kept, rebuilt for the charge now known as
    ``charge_processor_key``."""
    details = row.details or {}
    dispute = details.get("dispute")
    receipt = details.get("receipt")
    action = details.get("next_action")
    return WebhookEvent(
        event_id=row.event_id, type=EventType(row.type), created_at=row.received_at,
        charge_processor_key=charge_processor_key, amount=row.amount, currency=row.currency,
        refund_processor_key=details.get("refund_processor_key"),
        transfer_processor_key=details.get("transfer_processor_key"),
        dispute=DisputeInfo(
            processor_key=dispute["processor_key"], kind=DisputeKind(dispute["kind"]), status=dispute["status"],
            amount=dispute["amount"], currency=dispute["currency"], fee=dispute["fee"],
        ) if dispute else None,
        receipt=Receipt(
            last4=receipt["last4"], card_name=receipt["card_name"], brand=receipt["brand"],
            exp_date=date.fromisoformat(receipt["exp_date"]) if receipt["exp_date"] else None,
        ) if receipt else None,
        next_action=NextAction.from_dict(action) if action else None,
        processor_type=details.get("processor_type", ""),
        charge_reference=row.charge_reference,
    )
