"""Refunds, the state of a charge, and its distribution."""

from __future__ import annotations

import pytest
from payproc.errors import ProcessorError
from payproc.types import ChargeStatus
from razorpay_helpers import BROKER, PROVIDER, charge_ref


@pytest.fixture
def paid(checkout, subscriber, key):
    result, _ = checkout(subscriber, 50000, "inr", key)
    return charge_ref(subscriber, 50000, "inr", key, result.processor_key)


def test_partial_then_full_refund(backend, paid, fake):
    first = backend.call("refund_charge", charge=paid, amount=20000, broker_amount=0, idempotency_key="rf-1")
    assert first.processor_key.startswith("rfnd_") and (first.amount, first.currency) == (20000, "inr")
    second = backend.call("refund_charge", charge=paid, amount=30000, broker_amount=0, idempotency_key="rf-2")
    payment = fake.state.payments[paid.processor_key]
    assert payment["amount_refunded"] == 50000 and payment["status"] == "refunded"
    info = backend.call("retrieve_charge", charge=paid)
    assert info.status is ChargeStatus.SUCCEEDED and info.amount_refunded == 50000
    assert second.processor_key != first.processor_key


def test_retried_refund_is_made_once(backend, paid, fake):
    first = backend.call("refund_charge", charge=paid, amount=10000, broker_amount=0, idempotency_key="rf-same")
    again = backend.call("refund_charge", charge=paid, amount=10000, broker_amount=0, idempotency_key="rf-same")
    assert first.processor_key == again.processor_key
    assert fake.state.payments[paid.processor_key]["amount_refunded"] == 10000


def test_refund_above_what_is_left_is_refused_by_razorpay(backend, paid, fake):
    backend.call("refund_charge", charge=paid, amount=40000, broker_amount=0, idempotency_key="rf-a")
    with pytest.raises(ProcessorError, match="greater than"):
        backend.call("refund_charge", charge=paid, amount=10001, broker_amount=0, idempotency_key="rf-b")
    assert fake.state.payments[paid.processor_key]["amount_refunded"] == 40000


def test_distribution_from_fee_and_tax(backend, paid):
    split = backend.call("charge_distribution", charge=paid, refunded=0, broker_fee_amount=0)
    # 2% of ₹500 = 1000 paise, GST 18% on it = 180: Razorpay's fee is 1180 (GST included).
    assert split.as_tuple() == (48820, "inr", 1180, "inr", 0, "inr")
    after = backend.call("charge_distribution", charge=paid, refunded=20000, broker_fee_amount=500)
    assert after.as_tuple() == (50000 - 20000 - 1180 - 500, "inr", 1180, "inr", 500, "inr")
    total = after.distribute_amount + after.processor_fee_amount + after.broker_fee_amount
    assert total == 50000 - 20000


def test_fees_of_foreign_currency_payments_are_in_inr(backend, checkout, subscriber, key):
    result, _ = checkout(subscriber, 2000, "usd", key)
    split = backend.call("charge_distribution", charge=charge_ref(subscriber, 2000, "usd", key,
                                                                 result.processor_key),
                         refunded=0, broker_fee_amount=0)
    # $20 at the fake's 83 INR/USD = ₹1660: fee 3320 + GST 598 = 3918 paise.
    assert split.as_tuple() == (2000, "usd", 3918, "inr", 0, "usd")


def test_dispute_and_transfer_fees(backend):
    assert backend.call("dispute_fee", amount=50000, currency="inr") == 0
    assert backend.call("prorate_transfer", amount=100000, provider=PROVIDER) == 295


def test_retrieve_failed_and_unknown_payments(backend, checkout, subscriber, key):
    from payproc.errors import CardError

    with pytest.raises(CardError) as caught:
        checkout(subscriber, 50000, "inr", key, outcome="decline")
    failed = backend.call("retrieve_charge", charge=charge_ref(subscriber, 50000, "inr", key,
                                                              caught.value.charge_processor_key))
    assert failed.status is ChargeStatus.FAILED and failed.failure_code == "payment_declined"
    missing = backend.call("retrieve_charge", charge=charge_ref(subscriber, 50000, "inr", key, "pay_DoesNotExist01"))
    assert missing.status is ChargeStatus.NOT_FOUND
    never = backend.call("retrieve_charge", charge=charge_ref(subscriber, 50000, "inr", "never-paid", None))
    assert never.status is ChargeStatus.NOT_FOUND


def test_order_opened_but_never_paid_is_not_found(backend, subscriber, key):
    backend.call("get_payment_context", subscriber=subscriber, amount=50000, currency="inr", provider=PROVIDER,
                 broker=BROKER, broker_fee_amount=0, idempotency_key=key)
    info = backend.call("retrieve_charge", charge=charge_ref(subscriber, 50000, "inr", key, None))
    assert info.status is ChargeStatus.NOT_FOUND


def test_late_authorization_is_captured_on_retrieve(backend, backdoor, subscriber, key, fake):
    """The browser never came back, but the bank authorized our order later."""
    context = backend.call("get_payment_context", subscriber=subscriber, amount=50000, currency="inr",
                           provider=PROVIDER, broker=BROKER, broker_fee_amount=0, idempotency_key=key)
    token, _ = backdoor.pay(context, 50000, "inr")
    info = backend.call("retrieve_charge", charge=charge_ref(subscriber, 50000, "inr", key, None))
    assert info.status is ChargeStatus.SUCCEEDED and info.processor_key == token
    assert fake.state.payments[token]["captured"]


def test_authorization_of_another_amount_is_left_pending(backend, backdoor, subscriber, key, fake):
    context = backend.call("get_payment_context", subscriber=subscriber, amount=50000, currency="inr",
                           provider=PROVIDER, broker=BROKER, broker_fee_amount=0, idempotency_key=key)
    token, _ = backdoor.pay(context, 50000, "inr")
    info = backend.call("retrieve_charge", charge=charge_ref(subscriber, 40000, "inr", key, token))
    assert info.status is ChargeStatus.PENDING
    assert not fake.state.payments[token]["captured"]
