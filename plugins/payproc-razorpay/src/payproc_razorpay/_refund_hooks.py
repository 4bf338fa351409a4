"""Story: refunds, made once per idempotency key and found again by it.

Hooks: ``refund_charge``, ``retrieve_refund``; the work is in
:mod:`.refunds`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from payproc import hookimpl

from ._base import BackendBase

if TYPE_CHECKING:
    from payproc.types import ChargeRef, RefundInfo, RefundRef, RefundResult

__all__ = ["RefundHooks"]


class RefundHooks(BackendBase):
    @hookimpl
    def refund_charge(self, charge: ChargeRef, amount: int, broker_amount: int, idempotency_key: str) -> RefundResult:
        from .refunds import Refunds

        return Refunds(self.client).create(charge, amount, broker_amount, idempotency_key)

    @hookimpl
    def retrieve_refund(self, refund: RefundRef) -> RefundInfo:
        from .refunds import Refunds

        return Refunds(self.client).retrieve(refund)
