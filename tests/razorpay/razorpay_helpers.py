"""Values the Razorpay tests share (loaded by ``conftest.py`` under this
unique name, so tests import it without colliding with other backends')."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from payproc.types import ChargeRef, Party, PaymentContext, PaymentRequest, ProcessorKeys

__all__ = ["BROKER", "PROVIDER", "card_context", "charge_ref", "request_for"]

BROKER = Party(slug="broker", printable_name="Broker Ltd", is_broker=True)
PROVIDER = Party(slug="provider", printable_name="Provider Pvt Ltd",
                 keys=ProcessorKeys(deposit_key="acc_Provider000001"))


def request_for(subscriber: Party, amount: int, currency: str, key: str, token: str | None = None,
                fields: dict[str, str] | None = None, **extra: Any) -> PaymentRequest:
    return PaymentRequest(amount=amount, currency=currency, customer=subscriber, provider=PROVIDER, broker=BROKER,
                          idempotency_key=key, token=token, browser_fields=fields or {}, **extra)


def charge_ref(subscriber: Party, amount: int, currency: str, key: str, processor_key: str | None,
               **extra: Any) -> ChargeRef:
    return ChargeRef(processor_key=processor_key, amount=amount, currency=currency, idempotency_key=key,
                     created_at=datetime.now(timezone.utc),  # noqa: UP017 (3.10)
                     customer=subscriber, provider=PROVIDER, broker=BROKER,
                     **extra)


def card_context(backend: Any, subscriber: Party) -> PaymentContext:
    """``subscriber``'s card-update context, as the core asks for it
    (``payment_context`` without an amount)."""
    context: PaymentContext = backend.call(
        "get_payment_context", subscriber=subscriber, amount=None, currency=None, provider=PROVIDER, broker=BROKER,
        broker_fee_amount=0, return_url=None, idempotency_key=None)
    return context
