"""Flutterwave webhooks: the ``verif-hash`` header and the body's claims.

Flutterwave does not sign the body: it sends the "secret hash" set in the
dashboard, verbatim, in the ``verif-hash`` header. A correct header proves
the sender knows the hash, nothing about the body. So this module only
checks the header (constant time, fail closed) and reads which transaction
the body is about; the backend then asks the API for that transaction's
real state before reporting anything.

Two body shapes exist: v2 (flat, ``txRef``/``flwRef``, ``"event.type"``)
and v3 (``{"event": "charge.completed", "data": {"tx_ref": …}}``); both are
read.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from payproc.errors import WebhookVerificationError
from pydantic import SecretStr

if TYPE_CHECKING:
    from payproc.types import WebhookEvent

    from .transaction import Transaction

__all__ = ["Delivery", "charge_event", "check_verif_hash", "ignored_event", "read_delivery"]

HEADER = "verif-hash"


def check_verif_hash(headers: Mapping[str, str], secret: SecretStr | None) -> None:
    """Raise :class:`WebhookVerificationError` unless ``verif-hash`` equals
    the configured secret hash (compared in constant time)."""
    if secret is None or not secret.get_secret_value():
        raise WebhookVerificationError(
            "no WEBHOOK_SECRET (Flutterwave's secret hash) is configured: refusing every webhook"
        )
    received = headers.get(HEADER)
    if not received:
        raise WebhookVerificationError(f"the {HEADER} header is missing")
    if not hmac.compare_digest(received.encode("utf-8"), secret.get_secret_value().encode("utf-8")):
        raise WebhookVerificationError(f"the {HEADER} header does not match the configured secret hash")


@dataclass(frozen=True, slots=True)
class Delivery:
    """What a webhook body claims: which transaction, and the event's name."""

    tx_ref: str | None
    transaction_id: str | None
    processor_type: str
    data: Mapping[str, Any]


def read_delivery(body: bytes) -> Delivery:
    """Read the transaction a webhook body is about (already authenticated)."""
    try:
        document = json.loads(body)
    except ValueError:
        raise WebhookVerificationError("the webhook body is not JSON") from None
    if not isinstance(document, Mapping):
        raise WebhookVerificationError("the webhook body is not a JSON object")
    if isinstance(document.get("event"), str) and isinstance(document.get("data"), Mapping):
        data: Mapping[str, Any] = document["data"]
        processor_type = document["event"]
    else:
        data = document
        processor_type = str(document.get("event.type") or "")
    tx_ref = data.get("txRef") or data.get("tx_ref") or data.get("txref")
    transaction_id = data.get("id")
    return Delivery(
        tx_ref=str(tx_ref) if tx_ref else None,
        transaction_id=str(transaction_id) if transaction_id is not None else None,
        processor_type=processor_type,
        data=data,
    )


def ignored_event(delivery: Delivery) -> WebhookEvent:
    """An event that is not about a charge of ours (transfers, bills…)."""
    from payproc.types import EventType, WebhookEvent

    ident = delivery.transaction_id or "unknown"
    return WebhookEvent(
        event_id=f"flw:{delivery.processor_type or 'event'}:{ident}",
        type=EventType.IGNORED,
        created_at=datetime.now(timezone.utc),
        processor_type=delivery.processor_type,
    )


def charge_event(transaction: Transaction, delivery: Delivery, processor_key: str | None, *,
                 livemode: bool) -> WebhookEvent:
    """The event for ``transaction`` as the API reported it (never the
    body's claims). One event id per transaction and status, so a
    redelivery is recognised and a later status is a new event."""
    from payproc.types import ChargeStatus, EventType, WebhookEvent

    from .amounts import to_minor
    from .outcome import charge_status, receipt

    kind = {
        ChargeStatus.SUCCEEDED: EventType.CHARGE_SUCCEEDED,
        ChargeStatus.FAILED: EventType.CHARGE_FAILED,
        ChargeStatus.CANCELED: EventType.CHARGE_CANCELED,
    }.get(charge_status(transaction), EventType.IGNORED)
    currency = transaction.currency.lower() if transaction.currency else None
    ident = transaction.tx_id or delivery.transaction_id or transaction.tx_ref
    return WebhookEvent(
        event_id=f"flw:{ident}:{transaction.status}",
        type=kind,
        created_at=transaction.created or datetime.now(timezone.utc),
        charge_processor_key=processor_key,
        amount=to_minor(transaction.amount, currency) if currency else None,
        currency=currency,
        receipt=receipt(transaction),
        processor_type=delivery.processor_type,
        livemode=livemode,
    )
