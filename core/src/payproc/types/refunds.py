"""Refunds: the processor's answer, and how a refund whose answer was lost is looked up."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from .payments import ChargeRef

__all__ = ["RefundInfo", "RefundRef", "RefundResult", "RefundStatus"]


@dataclass(frozen=True, slots=True)
class RefundResult:
    """A refund the processor accepted."""

    processor_key: str
    amount: int
    currency: str
    created_at: datetime
    broker_fee_refunded: int = 0


class RefundStatus(str, enum.Enum):
    """A refund as the processor sees it (1.1)."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    NOT_FOUND = "not_found"  # the processor never received the request


@dataclass(frozen=True, slots=True)
class RefundRef:
    """A refund the core asked for, for ``retrieve_refund`` (1.1).

    ``processor_key`` is ``None`` when the answer to ``refund_charge`` was
    never seen: find the refund by ``idempotency_key`` (backends keep it with
    the refund, in metadata or notes, when the processor has no idempotency
    of its own).
    """

    charge: ChargeRef
    idempotency_key: str
    amount: int
    created_at: datetime
    processor_key: str | None = None


@dataclass(frozen=True, slots=True)
class RefundInfo:
    """The processor's view of one refund (``retrieve_refund``) (1.1)."""

    status: RefundStatus
    processor_key: str | None = None
    amount: int = 0
    currency: str = ""
    created_at: datetime | None = None
