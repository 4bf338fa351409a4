"""The values that cross the backend contract.

Backends receive plain, immutable snapshots (never ORM objects) and return
these small dataclasses. Amounts are integers in the currency's minor unit and
currencies lower-case ISO 4217 codes (see :mod:`payproc.money`). Secrets are
:class:`pydantic.SecretStr` so that no ``repr`` or log line shows them.

They live in submodules by story (parties, actions, payments, refunds,
cards, transfers, events); import them from ``payproc.types``.
"""

from __future__ import annotations

from .parties import CustomerRecord, Party, ProcessorKeys
from .actions import ActionKind, NextAction
from .payments import (
    BrowserIntegration,
    ChargeInfo,
    ChargeRef,
    ChargeStatus,
    Distribution,
    PaymentContext,
    PaymentRequest,
    PaymentResult,
    Receipt,
)
from .refunds import RefundInfo, RefundRef, RefundResult, RefundStatus
from .cards import CardInfo, CardUpdate
from .transfers import BankInfo, TransferRecord, TransferRef, TransferStatus
from .events import DisputeInfo, DisputeKind, EventType, WebhookEvent, WebhookVerification

__all__ = [
    "ActionKind",
    "BankInfo",
    "BrowserIntegration",
    "CardInfo",
    "CardUpdate",
    "ChargeInfo",
    "ChargeRef",
    "ChargeStatus",
    "CustomerRecord",
    "DisputeInfo",
    "DisputeKind",
    "Distribution",
    "EventType",
    "NextAction",
    "Party",
    "PaymentContext",
    "PaymentRequest",
    "PaymentResult",
    "ProcessorKeys",
    "Receipt",
    "RefundInfo",
    "RefundRef",
    "RefundResult",
    "RefundStatus",
    "TransferRecord",
    "TransferRef",
    "TransferStatus",
    "WebhookEvent",
    "WebhookVerification",
]
