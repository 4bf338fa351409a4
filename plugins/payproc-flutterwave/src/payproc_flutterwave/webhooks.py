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
from typing import Any

from payproc.errors import WebhookVerificationError
from pydantic import SecretStr

__all__ = ["Delivery", "check_verif_hash", "read_delivery"]

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
