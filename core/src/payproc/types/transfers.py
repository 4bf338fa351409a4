"""Payouts to a provider's bank account, and the account itself."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from .parties import Party

__all__ = ["BankInfo", "TransferRecord", "TransferRef", "TransferStatus"]


class TransferStatus(str, enum.Enum):
    """A payout as the processor sees it (1.1)."""

    PENDING = "pending"  # created, in transit
    PAID = "paid"
    FAILED = "failed"  # the bank returned it: the money is back
    CANCELED = "canceled"


@dataclass(frozen=True, slots=True)
class TransferRecord:
    """A payout to a provider's bank account.

    ``status`` is a :class:`TransferStatus` value (a plain string in 1.0).
    ``idempotency_key`` is the key the payout was made with, when the
    processor keeps it (1.1).
    """

    processor_key: str
    amount: int
    currency: str
    created_at: datetime
    description: str = ""
    status: str = "paid"
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class TransferRef:
    """A payout the core asked for, for ``retrieve_transfer`` (1.1).

    ``processor_key`` is ``None`` when the answer to ``create_transfer`` was
    never seen: find the payout by ``idempotency_key``.
    """

    provider: Party
    idempotency_key: str
    amount: int
    currency: str
    created_at: datetime
    processor_key: str | None = None


@dataclass(frozen=True, slots=True)
class BankInfo:
    """The provider's deposit account, as shown to its owner."""

    bank_name: str
    last4: str = ""
    balance_amount: int | None = None
    balance_unit: str | None = None
