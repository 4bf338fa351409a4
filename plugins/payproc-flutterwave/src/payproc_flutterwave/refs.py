"""Transaction references (``tx_ref``) for Flutterwave Inline.

Flutterwave identifies a payment by the merchant's ``tx_ref`` and lets
the merchant look it up again with it (v2 verify). Deriving the ``tx_ref``
from the charge's idempotency key makes a retried checkout reuse the same
reference and lets ``retrieve_charge`` find a charge whose first answer was
lost, from the key alone. The key is hashed so that internal identifiers do
not leak to the browser and the reference stays short and URL-safe.
"""

from __future__ import annotations

import hashlib
import uuid

__all__ = ["PREFIX", "new_tx_ref", "refund_tag_for", "tx_ref_for"]

PREFIX = "payproc-"


def tx_ref_for(idempotency_key: str) -> str:
    """The ``tx_ref`` of the charge whose idempotency key is ``idempotency_key``."""
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()
    return PREFIX + digest[:40]


def new_tx_ref() -> str:
    """A fresh, random ``tx_ref`` for a context that has no idempotency key."""
    return PREFIX + uuid.uuid4().hex


def refund_tag_for(idempotency_key: str) -> str:
    """What a refund carries in its ``comments``: v3 refunds take no
    idempotency key, so this tag is how a refund whose answer was lost is
    found again (``GET /v3/refunds``). Hashed like the ``tx_ref``."""
    digest = hashlib.sha256(("refund:" + idempotency_key).encode("utf-8")).hexdigest()
    return "payproc-refund-" + digest[:40]
