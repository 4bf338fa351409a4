"""Backends that are wrong on purpose, to prove the suite notices.

Each is the fake backend with one defect; the suite runs against them (by
``module:Class`` path) inside pytester in ``test_suite_catches.py``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, ClassVar

from payproc import hookimpl
from payproc.types import (
    ChargeStatus,
    PaymentRequest,
    PaymentResult,
    Receipt,
    RefundResult,
)
from payproc_fake.backend import FakeBackend


class NoTransfers(FakeBackend):
    """Honest: no payouts, and says why."""

    create_transfer = None
    reconcile_transfers = None
    unsupported: ClassVar[dict[str, str]] = {
        "create_transfer": "this processor has no payouts API",
        "reconcile_transfers": "this processor has no payouts API",
    }


class CannedPayments(FakeBackend):
    """Answers success without asking the processor (a canned stub)."""

    @hookimpl
    def create_payment(self, request: PaymentRequest) -> PaymentResult:
        return PaymentResult(
            processor_key=f"ch_canned_{request.idempotency_key[-8:]}", amount=request.amount,
            currency=request.currency, created_at=datetime.now(timezone.utc),  # noqa: UP017 - py3.10
            status=ChargeStatus.SUCCEEDED,
            receipt=Receipt(last4="4242"),
        )


class RefundsTwice(FakeBackend):
    """Refunds the amount asked for, then the same amount again."""

    @hookimpl
    def refund_charge(self, charge: Any, amount: int, broker_amount: int, idempotency_key: str) -> RefundResult:
        FakeBackend.refund_charge(self, charge, amount, broker_amount, idempotency_key + ":again")
        return FakeBackend.refund_charge(self, charge, amount, broker_amount, idempotency_key)


class ChattyBackend(FakeBackend):
    """Logs its webhook secret at DEBUG while it configures itself."""

    @hookimpl
    def configure(self, settings: Any) -> None:
        FakeBackend.configure(self, settings)
        logging.getLogger("chatty").debug("configured with %s", settings.WEBHOOK_SECRET.get_secret_value())


class AcceptsAnyWebhook(FakeBackend):
    """Parses callbacks without checking their signature."""

    @hookimpl
    def parse_webhook(self, body: bytes, headers: Any) -> Any:
        from payproc_fake.webhooks import parse_event

        return parse_event(body)
