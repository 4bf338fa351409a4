"""Signed callbacks, the way Stripe signs them.

The fake processor sends a JSON body and the header::

    payproc-fake-signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, b"<t>." + body)>

Several ``v1`` entries may appear (while a secret is being rolled); one match
is enough. A timestamp more than :data:`TOLERANCE` seconds away from now, in
the past or the future, is refused, so a captured callback cannot be replayed
later. Signatures are compared in constant time.

:func:`build_event` makes correctly signed callbacks for tests and the demo;
:func:`verify` and :func:`parse_event` are what the backend's
``parse_webhook`` runs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from payproc.errors import WebhookVerificationError
from payproc.types import DisputeInfo, DisputeKind, EventType, WebhookEvent
from pydantic import SecretStr

__all__ = ["SIGNATURE_HEADER", "TOLERANCE", "build_event", "parse_event", "sign", "verify"]

SIGNATURE_HEADER = "payproc-fake-signature"
#: Seconds a signed timestamp may differ from now, either way.
TOLERANCE = 300


def _secret_bytes(secret: str | SecretStr) -> bytes:
    value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    return value.encode("utf-8")


def _digest(body: bytes, secret: str | SecretStr, timestamp: int) -> str:
    return hmac.new(_secret_bytes(secret), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(body: bytes, secret: str | SecretStr, timestamp: int) -> str:
    """The signature header's value for ``body`` signed at ``timestamp``."""
    return f"t={timestamp},v1={_digest(body, secret, timestamp)}"


def build_event(
    type: EventType,
    charge_processor_key: str | None,
    *,
    secret: str | SecretStr,
    amount: int | None = None,
    currency: str | None = None,
    event_id: str | None = None,
    timestamp: int | None = None,
    refund: str | None = None,
    dispute: Mapping[str, Any] | None = None,
    transfer: str | None = None,
) -> tuple[bytes, dict[str, str]]:
    """A callback the fake processor sends about a charge (or, with
    ``transfer``, a payout): the raw body and its headers (lower-case
    names), signed with ``secret`` at ``timestamp`` (default: now).
    ``dispute`` carries the dispute's own figures (``id``, ``kind``,
    ``status``, ``amount``, ``currency``, ``fee``)."""
    created = int(time.time()) if timestamp is None else int(timestamp)
    event = {
        "id": event_id or f"evt_fake_{secrets.token_hex(12)}",
        "type": EventType(type).value,
        "created": created,
        "data": {"charge": charge_processor_key, "amount": amount, "currency": currency, "refund": refund},
    }
    if dispute is not None:
        event["data"]["dispute"] = dict(dispute)
    if transfer is not None:
        event["data"]["transfer"] = transfer
    body = json.dumps(event, separators=(",", ":")).encode("utf-8")
    return body, {SIGNATURE_HEADER: sign(body, secret, created), "content-type": "application/json"}


def _parse_header(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        name, sep, value = item.strip().partition("=")
        if not sep:
            raise WebhookVerificationError("malformed signature header: expected t=<time>,v1=<signature>")
        if name == "t":
            if not value.isdigit():
                raise WebhookVerificationError("malformed signature header: t is not a unix time")
            timestamp = int(value)
        elif name == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        raise WebhookVerificationError("malformed signature header: expected t=<time>,v1=<signature>")
    return timestamp, signatures


def verify(
    body: bytes,
    headers: Mapping[str, str],
    secret: SecretStr | str | None,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE,
) -> None:
    """Raise :class:`WebhookVerificationError` unless ``body`` carries a good
    signature made with ``secret`` less than ``tolerance`` seconds away."""
    if secret is None or not _secret_bytes(secret):
        raise WebhookVerificationError("no WEBHOOK_SECRET is configured: every callback is refused")
    header = headers.get(SIGNATURE_HEADER)
    if not header:
        raise WebhookVerificationError(f"missing {SIGNATURE_HEADER} header")
    timestamp, signatures = _parse_header(header)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookVerificationError(f"signature timestamp is more than {tolerance} s away from now")
    expected = _digest(body, secret, timestamp).encode("ascii")
    matched = False
    for candidate in signatures:
        matched |= hmac.compare_digest(expected, candidate.encode("utf-8", "replace"))
    if not matched:
        raise WebhookVerificationError("signature does not match the body")


def _optional(data: Mapping[str, Any], name: str, kind: type) -> Any:
    value = data.get(name)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise WebhookVerificationError(f"event field data.{name} is not a {kind.__name__}")
    return value


def _dispute(value: Any) -> DisputeInfo | None:
    """The dispute's figures, when the event carries them."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise WebhookVerificationError("event field data.dispute is not an object")
    key, kind = _optional(value, "id", str), _optional(value, "kind", str)
    if not key:
        raise WebhookVerificationError("event field data.dispute has no id")
    try:
        dispute_kind = DisputeKind(kind or "chargeback")
    except ValueError:
        raise WebhookVerificationError(f"event field data.dispute.kind {kind!r} is unknown") from None
    currency = _optional(value, "currency", str)
    return DisputeInfo(processor_key=key, kind=dispute_kind, status=_optional(value, "status", str) or "",
                       amount=_optional(value, "amount", int), currency=currency.lower() if currency else None,
                       fee=_optional(value, "fee", int))


def parse_event(body: bytes) -> WebhookEvent:
    """The :class:`WebhookEvent` a verified body describes. Unknown event
    types become ``IGNORED``; a body that is not the expected JSON raises
    :class:`WebhookVerificationError`."""
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookVerificationError("event body is not JSON") from None
    if not isinstance(event, dict):
        raise WebhookVerificationError("event body is not a JSON object")
    event_id, raw_type, created, data = (event.get(name) for name in ("id", "type", "created", "data"))
    if not isinstance(event_id, str) or not event_id or not isinstance(raw_type, str):
        raise WebhookVerificationError("event has no id or type")
    if not isinstance(created, int) or isinstance(created, bool) or not isinstance(data, dict):
        raise WebhookVerificationError("event has no created time or data")
    try:
        event_type = EventType(raw_type)
    except ValueError:
        event_type = EventType.IGNORED
    currency = _optional(data, "currency", str)
    try:
        created_at = datetime.fromtimestamp(created, timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise WebhookVerificationError("event created time is out of range") from None
    return WebhookEvent(
        dispute=_dispute(data.get("dispute")),
        transfer_processor_key=_optional(data, "transfer", str),
        event_id=event_id,
        type=event_type,
        created_at=created_at,
        charge_processor_key=_optional(data, "charge", str),
        amount=_optional(data, "amount", int),
        currency=currency.lower() if currency else None,
        refund_processor_key=_optional(data, "refund", str),
        processor_type=raw_type,
        livemode=False,
    )
