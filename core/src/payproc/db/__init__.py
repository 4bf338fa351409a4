"""Persistence: SQLAlchemy 2 models, the engine, and the ledger."""

from .engine import Database
from .models import (
    Base,
    ChargeRow,
    ChargeState,
    DisputeRow,
    LedgerRow,
    Profile,
    RateLimitRow,
    RefundRow,
    TransferRow,
    WebhookEventRow,
    WebhookInboxRow,
)

__all__ = [
    "Base",
    "ChargeRow",
    "ChargeState",
    "Database",
    "DisputeRow",
    "LedgerRow",
    "Profile",
    "RateLimitRow",
    "RefundRow",
    "TransferRow",
    "WebhookEventRow",
    "WebhookInboxRow",
]
