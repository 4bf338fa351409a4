"""Refunds: made once per idempotency key, and found again by it.

Razorpay has no idempotency header for refunds; each refund carries a
``receipt`` derived from payproc's idempotency key (and the key itself in
``notes``), and the payment's refunds are listed before a refund is made, so
a retry finds the first one. :meth:`Refunds.retrieve` settles a refund whose
answer was lost the same way: by its id, else by that receipt.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from payproc.errors import IntegrityMismatch, ProcessorError
from payproc.money import validate_amount
from payproc.types import ChargeRef, RefundInfo, RefundRef, RefundResult, RefundStatus

from ._base import notes_for
from .amounts import mismatch, receipt_for
from .client import RazorpayClient
from .convert import from_timestamp

__all__ = ["Refunds"]

#: Razorpay refund ``status`` -> payproc's view.
_STATUS = {"processed": RefundStatus.SUCCEEDED, "pending": RefundStatus.PENDING, "created": RefundStatus.PENDING,
           "failed": RefundStatus.FAILED}
PAGE = 100


def _ours(refund: Mapping[str, Any], receipt: str, key: str) -> bool:
    notes = refund.get("notes") if isinstance(refund.get("notes"), Mapping) else {}
    return refund.get("receipt") == receipt or notes.get("payproc_idempotency_key") == key[:256]


class Refunds:
    def __init__(self, client: RazorpayClient) -> None:
        self.client = client

    def _find(self, payment_id: str, key: str, provider: str) -> Mapping[str, Any] | None:
        """The payment's refund made with ``key``, looking through all of them."""
        client, receipt, skip = self.client, receipt_for(key), 0
        while True:
            page = client.call(client.sdk.payment.fetch_multiple_refund, payment_id, {"count": PAGE, "skip": skip},
                               provider=provider)
            items = page.get("items", [])
            found = next((item for item in items if _ours(item, receipt, key)), None)
            if found is not None or len(items) < PAGE:
                return found
            skip += len(items)

    def create(self, charge: ChargeRef, amount: int, broker_amount: int, key: str) -> RefundResult:
        if not charge.processor_key:
            raise ProcessorError("cannot refund a charge Razorpay never confirmed (no payment id)")
        client, provider = self.client, charge.provider.slug
        validate_amount(amount)
        refund = self._find(charge.processor_key, key, provider)
        if refund is None:
            refund = client.call(
                client.sdk.payment.refund, charge.processor_key,
                {"amount": amount, "speed": "normal", "receipt": receipt_for(key), "notes": notes_for(key)},
                provider=provider,
            )
        if refund.get("amount") != amount or str(refund.get("currency", "")).lower() != charge.currency:
            raise mismatch(f"Razorpay refund {refund.get('id')}", refund, amount, charge.currency)
        if refund.get("status") == "failed":
            raise ProcessorError(f"Razorpay refund {refund.get('id')} failed")
        return RefundResult(
            processor_key=str(refund["id"]), amount=amount, currency=charge.currency,
            created_at=from_timestamp(refund.get("created_at")), broker_fee_refunded=broker_amount,
        )

    def retrieve(self, ref: RefundRef) -> RefundInfo:
        """Razorpay's view of one refund: by id (``GET /v1/refunds/{id}``),
        else among the payment's refunds by the key's receipt. ``NOT_FOUND``
        only when the payment's refunds were all read and none is ours."""
        client, provider = self.client, ref.charge.provider.slug
        if ref.processor_key:
            refund: Mapping[str, Any] | None = client.call(client.sdk.refund.fetch, ref.processor_key,
                                                           provider=provider)
        elif ref.charge.processor_key:
            refund = self._find(ref.charge.processor_key, ref.idempotency_key, provider)
        else:
            refund = None  # no payment: nothing could have been refunded
        if refund is None:
            return RefundInfo(status=RefundStatus.NOT_FOUND)
        if ref.charge.processor_key and refund.get("payment_id") != ref.charge.processor_key:
            raise IntegrityMismatch(f"Razorpay refund {refund.get('id')} is not of payment {ref.charge.processor_key}")
        return RefundInfo(
            status=_STATUS.get(str(refund.get("status")), RefundStatus.PENDING),
            processor_key=str(refund["id"]),
            amount=int(refund.get("amount") or 0),
            currency=str(refund.get("currency") or "").lower(),
            created_at=from_timestamp(refund.get("created_at")),
        )
