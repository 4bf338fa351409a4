"""The webhooks the fake Razorpay sends: an event body signed with the
webhook secret (``X-Razorpay-Signature``, HMAC-SHA256 of the raw body) and
an ``X-Razorpay-Event-Id``."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from razorpay_fake_errors import public

MERCHANT_ACCOUNT = "acc_Merchant000001"
ALPHABET = string.ascii_letters + string.digits


def sign(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass
class Delivery:
    """A webhook the fake sent: the raw body and its headers."""

    event: str
    body: bytes
    headers: dict[str, str]


def build_webhook(name: str, entities: Mapping[str, Mapping[str, Any]], secret: str, created_at: int,
                  event_id: str | None = None) -> Delivery:
    """A Razorpay webhook delivery: body, signature and event id headers."""
    event = {
        "entity": "event",
        "account_id": MERCHANT_ACCOUNT,
        "event": name,
        "contains": list(entities),
        "payload": {kind: {"entity": public(entity)} for kind, entity in entities.items()},
        "created_at": created_at,
    }
    body = json.dumps(event, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Razorpay-Signature": sign(secret, body),
        "X-Razorpay-Event-Id": event_id or "".join(secrets.choice(ALPHABET) for _ in range(14)),
    }
    return Delivery(name, body, headers)
