"""Verifying Paystack's callbacks.

Paystack sends ``x-paystack-signature: <hex HMAC-SHA512(secret key, body)>``
over the raw body. It signs no timestamp (a replayed callback is caught by
payproc's de-duplication, not here) and carries no delivery id: the event id
is the event name and the object's id, which is what de-duplication needs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime, timezone

from payproc.errors import WebhookVerificationError
from payproc.types import EventType, WebhookEvent
from pydantic import SecretStr

__all__ = ["SIGNATURE_HEADER", "parse", "sign"]

SIGNATURE_HEADER = "x-paystack-signature"

#: Paystack's event names -> payproc's.
EVENT_TYPES = {
    "charge.success": EventType.CHARGE_SUCCEEDED,
    "refund.processed": EventType.CHARGE_REFUNDED,
    "refund.failed": EventType.REFUND_FAILED,
    "charge.dispute.create": EventType.DISPUTE_CREATED,
    "charge.dispute.resolve": EventType.DISPUTE_UPDATED,
}


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()


def _created(value: object) -> datetime:
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
    return datetime.now(timezone.utc)


def parse(body: bytes, headers: Mapping[str, str], secret: SecretStr | None) -> WebhookEvent:
    """Verify ``body`` and return the normalized event."""
    if secret is None or not secret.get_secret_value():
        raise WebhookVerificationError("no WEBHOOK_SECRET is configured: every callback is refused")
    signature = headers.get(SIGNATURE_HEADER, "")
    if not signature:
        raise WebhookVerificationError(f"missing {SIGNATURE_HEADER} header")
    if not hmac.compare_digest(sign(body, secret.get_secret_value()).encode(), signature.encode("utf-8", "replace")):
        raise WebhookVerificationError("signature does not match the body")
    try:
        event = json.loads(body)
        name, data = str(event["event"]), event["data"]
        transaction = data.get("transaction") if name.startswith(("refund.", "charge.dispute.")) else data
        charge_key = transaction.get("id") if isinstance(transaction, dict) else transaction
        currency = str(data.get("currency") or "").lower() or None
        return WebhookEvent(
            event_id=f"{name}:{data['id']}",
            type=EVENT_TYPES.get(name, EventType.IGNORED),
            created_at=_created(data.get("paid_at") or data.get("created_at")),
            charge_processor_key=str(charge_key) if charge_key is not None else None,
            amount=int(data["amount"]) if data.get("amount") is not None else None,
            currency=currency,
            refund_processor_key=str(data["id"]) if name.startswith("refund.") else None,
            processor_type=name,
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise WebhookVerificationError("the event body is not the expected JSON") from None
