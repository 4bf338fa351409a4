"""Verifying Paystack's callbacks.

Placeholder scheme (replace it with the processor's): header
``x-paystack-signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, b"<t>." + body)>``.
Verify over the RAW body, compare in constant time, refuse stale timestamps
and refuse everything when no secret is configured (fail closed).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from datetime import datetime, timezone

from payproc.errors import WebhookVerificationError
from payproc.types import EventType, WebhookEvent
from pydantic import SecretStr

__all__ = ["SIGNATURE_HEADER", "TOLERANCE", "parse", "sign"]

SIGNATURE_HEADER = "x-paystack-signature"
TOLERANCE = 300

#: The processor's event names -> payproc's.
EVENT_TYPES = {
    "charge.succeeded": EventType.CHARGE_SUCCEEDED,
    "charge.failed": EventType.CHARGE_FAILED,
    "charge.refunded": EventType.CHARGE_REFUNDED,
    "dispute.created": EventType.DISPUTE_CREATED,
}


def sign(body: bytes, secret: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def parse(body: bytes, headers: Mapping[str, str], secret: SecretStr | None) -> WebhookEvent:
    """Verify ``body`` and return the normalized event."""
    if secret is None or not secret.get_secret_value():
        raise WebhookVerificationError("no WEBHOOK_SECRET is configured: every callback is refused")
    fields = dict(item.partition("=")[::2] for item in headers.get(SIGNATURE_HEADER, "").split(",") if item)
    if not fields.get("t", "").isdigit() or not fields.get("v1"):
        raise WebhookVerificationError(f"missing or malformed {SIGNATURE_HEADER} header")
    timestamp = int(fields["t"])
    if abs(time.time() - timestamp) > TOLERANCE:
        raise WebhookVerificationError(f"signature timestamp is more than {TOLERANCE} s away from now")
    expected = sign(body, secret.get_secret_value(), timestamp)
    if not hmac.compare_digest(expected.encode(), f"t={timestamp},v1={fields['v1']}".encode()):
        raise WebhookVerificationError("signature does not match the body")
    try:
        event = json.loads(body)
        data = event["data"]
        return WebhookEvent(
            event_id=str(event["id"]),
            type=EVENT_TYPES.get(event["type"], EventType.IGNORED),
            created_at=datetime.fromtimestamp(int(event["created"]), timezone.utc),
            charge_processor_key=data.get("charge"),
            amount=data.get("amount"),
            currency=(data.get("currency") or "").lower() or None,
            refund_processor_key=data.get("refund"),
            processor_type=str(event["type"]),
        )
    except (ValueError, KeyError, TypeError):
        raise WebhookVerificationError("the event body is not the expected JSON") from None
