from __future__ import annotations

from datetime import datetime, timezone

from payproc.types import ChargeStatus, PaymentRequest


def test_one_time_token_payment(world):
    request = PaymentRequest(amount=2000, currency="usd", customer=world.subscriber, provider=world.broker,
                             broker=world.broker, idempotency_key="charge-1", token="tok_visa", descr="Order 1")
    result = world.call("create_payment", request=request, reference=None)
    assert result.status == ChargeStatus.SUCCEEDED
    assert result.amount == 2000 and result.currency == "usd"
    assert result.receipt.last4 == "4242"
    assert result.processor_key.startswith("pi_")  # the PaymentIntent is the payment's key
    assert result.created_at <= datetime.now(timezone.utc)
