"""The two HMAC-SHA256 signatures Razorpay uses.

* Checkout: ``razorpay_signature`` = HMAC(key secret, ``order_id|payment_id``).
  The order id is the one we created and stored, never the browser's.
* Webhooks: ``X-Razorpay-Signature`` = HMAC(webhook secret, raw body).

Both are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["checkout_signature", "signature_matches", "webhook_signature"]


def _hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def checkout_signature(order_id: str, payment_id: str, key_secret: str) -> str:
    return _hmac_hex(key_secret, f"{order_id}|{payment_id}".encode())


def webhook_signature(body: bytes, webhook_secret: str) -> str:
    return _hmac_hex(webhook_secret, body)


def signature_matches(expected: str, given: object) -> bool:
    """Constant-time comparison that refuses non-strings and non-ASCII."""
    if not isinstance(given, str) or not given.isascii():
        return False
    return hmac.compare_digest(expected.encode(), given.strip().lower().encode())
