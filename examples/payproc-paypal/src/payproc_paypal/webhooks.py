"""PayPal webhooks, verified by asking PayPal, then re-read from PayPal.

PayPal signs each delivery with its own certificate (``PAYPAL-TRANSMISSION-
SIG`` over the transmission id, time, the listener's webhook id and the
body's CRC32); there is no shared secret. The backend hands the headers and
the event to ``POST /v1/notifications/verify-webhook-signature`` and accepts
only ``verification_status: SUCCESS`` (fail closed: no answer is not a
verification). Then it reads the order the event names back from PayPal and
builds the event from *that* answer, never from the body's figures
(``webhook_verification = "fetch"``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from payproc.errors import WebhookVerificationError

__all__ = ["HEADERS", "order_id_of", "verify"]

#: The delivery headers PayPal's verification call needs, by its field name.
HEADERS = {
    "auth_algo": "paypal-auth-algo",
    "cert_url": "paypal-cert-url",
    "transmission_id": "paypal-transmission-id",
    "transmission_sig": "paypal-transmission-sig",
    "transmission_time": "paypal-transmission-time",
}


def verify(client: Any, webhook_id: str, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
    """The event in ``body`` once PayPal confirmed it sent it; else
    :class:`WebhookVerificationError`."""
    missing = [name for name in HEADERS.values() if not headers.get(name)]
    if missing:
        raise WebhookVerificationError(f"not a PayPal delivery: missing {', '.join(missing)}")
    try:
        event = json.loads(body)
    except ValueError:
        raise WebhookVerificationError("the webhook body is not JSON") from None
    if not isinstance(event, dict):
        raise WebhookVerificationError("the webhook body is not a JSON object")
    request = {field: headers[name] for field, name in HEADERS.items()}
    answer = client.request("POST", "/v1/notifications/verify-webhook-signature",
                            json={**request, "webhook_id": webhook_id, "webhook_event": event})
    if answer.get("verification_status") != "SUCCESS":
        raise WebhookVerificationError("PayPal did not verify this delivery (verification_status "
                                       f"{answer.get('verification_status')!r})")
    return event


def order_id_of(event: Mapping[str, Any]) -> str | None:
    """The order an event is about: a capture names it in
    ``supplementary_data.related_ids.order_id``, an order event is the order."""
    resource = event.get("resource") or {}
    if str(event.get("resource_type")) == "checkout-order":
        return str(resource.get("id") or "") or None
    related = (resource.get("supplementary_data") or {}).get("related_ids") or {}
    order = related.get("order_id")
    return str(order) if order else None
