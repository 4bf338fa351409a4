"""Razorpay disputes as payproc's :class:`~payproc.types.DisputeInfo`.

A payment can have several disputes: a chargeback, then (if the merchant
won it) a pre-arbitration, then an arbitration — each its own ``disp_…``
entity with its ``phase``. Each becomes its own DisputeInfo, keyed by the
dispute id, so the second is booked as surely as the first.

``phase`` decides the kind: ``fraud`` (the bank's risk alert) and
``retrieval`` (a request for information, a "soft" chargeback) move no
money — :attr:`~payproc.types.DisputeKind.INQUIRY`; ``chargeback`` is a
chargeback; ``pre_arbitration`` and ``arbitration`` re-open a decided
chargeback — :attr:`~payproc.types.DisputeKind.PRE_ARBITRATION`.

``amount`` is what Razorpay took (``amount_deducted``) once it took
something, else the disputed ``amount`` (partial disputes exist). Razorpay
reports no dispute fee in the entity: ``fee`` is left to the backend's
``dispute_fee``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from payproc.types import DisputeInfo, DisputeKind

__all__ = ["KINDS", "dispute_info"]

KINDS: dict[str, DisputeKind] = {
    "fraud": DisputeKind.INQUIRY,
    "retrieval": DisputeKind.INQUIRY,
    "chargeback": DisputeKind.CHARGEBACK,
    "pre_arbitration": DisputeKind.PRE_ARBITRATION,
    "arbitration": DisputeKind.PRE_ARBITRATION,
}


def dispute_info(dispute: Mapping[str, Any]) -> DisputeInfo | None:
    """The dispute entity of a ``payment.dispute.*`` event (None without one)."""
    if not isinstance(dispute.get("id"), str):
        return None
    deducted, disputed = dispute.get("amount_deducted"), dispute.get("amount")
    amount = deducted if isinstance(deducted, int) and deducted > 0 else disputed
    currency = dispute.get("currency")
    return DisputeInfo(
        processor_key=dispute["id"],
        kind=KINDS.get(str(dispute.get("phase") or "chargeback"), DisputeKind.CHARGEBACK),
        status=str(dispute.get("status") or ""),
        amount=amount if isinstance(amount, int) else None,
        currency=currency.lower() if isinstance(currency, str) else None,
        fee=None,
    )
