"""Small builders shared by the Flutterwave tests: parties, requests and
charge snapshots as the core would pass them."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from payproc.types import ChargeRef, Party, PaymentRequest, PaymentResult

SUBSCRIBER = Party(slug="xia", printable_name="Xia", email="xia@example.com")
OTHER = Party(slug="yan", printable_name="Yan", email="yan@example.com")
PROVIDER = Party(slug="cowork", printable_name="Cowork")
BROKER = Party(slug="broker", printable_name="Broker", is_broker=True)


def new_key() -> str:
    return f"charge-{uuid.uuid4().hex}"


def context(backend: Any, amount: int | None, currency: str | None, key: str | None,
            return_url: str | None = None, subscriber: Party = SUBSCRIBER) -> Any:
    return backend.call(
        "get_payment_context", subscriber=subscriber, amount=amount, currency=currency,
        provider=PROVIDER, broker=BROKER, broker_fee_amount=0, idempotency_key=key, return_url=return_url,
    )


def request(amount: int, currency: str, key: str, token: str | None = "ignored", *,
            customer: Party = SUBSCRIBER, **options: Any) -> PaymentRequest:
    return PaymentRequest(amount=amount, currency=currency, customer=customer, provider=PROVIDER,
                          broker=BROKER, idempotency_key=key, token=token, **options)


def charge_ref(result: PaymentResult | None, amount: int, currency: str, key: str, refunded: int = 0,
               reference: str | None = None) -> ChargeRef:
    """The snapshot the core passes; ``reference`` is the stored tx_ref
    (``None``: a charge stored before the core kept references)."""
    return ChargeRef(
        processor_key=result.processor_key if result else None, amount=amount, currency=currency,
        idempotency_key=key, created_at=datetime.now(timezone.utc), customer=SUBSCRIBER,
        provider=PROVIDER, broker=BROKER, amount_refunded=refunded, reference=reference,
    )


def pay(backend: Any, harness: Any, amount: int, currency: str, outcome: str = "success") -> tuple[Any, str, Any]:
    """Context, browser payment, create_payment: (result or error, key, context)."""
    key = new_key()
    ctx = context(backend, amount, currency, key)
    token, _fields = harness.pay(ctx, amount, currency, outcome=outcome)
    result = backend.call("create_payment", request=request(amount, currency, key, token), reference=ctx.reference)
    return result, key, ctx
