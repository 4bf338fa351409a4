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


def test_order_opened_but_never_paid_is_awaiting_the_customer(backend, subscriber, key):
    context = backend.call("get_payment_context", subscriber=subscriber, amount=50000, currency="inr",
                           provider=PROVIDER, broker=BROKER, broker_fee_amount=0, return_url=None, idempotency_key=key)
    charge = charge_ref(subscriber, 50000, "inr", key, None, reference=context.reference)
    info = backend.call("retrieve_charge", charge=charge)
    assert (info.status, info.processor_key) == (ChargeStatus.AWAITING_CUSTOMER, None)
    assert backend.call("cancel_payment", charge=charge).status is ChargeStatus.AWAITING_CUSTOMER


def test_late_authorization_is_captured_on_retrieve(backend, backdoor, subscriber, key, fake):
    """The browser never came back, but the bank authorized our order later."""
    context = backend.call("get_payment_context", subscriber=subscriber, amount=50000, currency="inr",
                           provider=PROVIDER, broker=BROKER, broker_fee_amount=0, return_url=None, idempotency_key=key)
    token, _ = backdoor.pay(context, 50000, "inr")
    info = backend.call("retrieve_charge", charge=charge_ref(subscriber, 50000, "inr", key, None))
    assert info.status is ChargeStatus.SUCCEEDED and info.processor_key == token
    assert fake.state.payments[token]["captured"]


def test_authorization_of_another_amount_is_left_pending(backend, backdoor, subscriber, key, fake):
    context = backend.call("get_payment_context", subscriber=subscriber, amount=50000, currency="inr",
                           provider=PROVIDER, broker=BROKER, broker_fee_amount=0, return_url=None, idempotency_key=key)
    token, _ = backdoor.pay(context, 50000, "inr")
    info = backend.call("retrieve_charge", charge=charge_ref(subscriber, 40000, "inr", key, token))
    assert info.status is ChargeStatus.PENDING
    assert not fake.state.payments[token]["captured"]


def test_retrieve_refund_by_id_and_by_key(backend, paid):
    from datetime import datetime, timezone

    from payproc.types import RefundRef, RefundStatus

    made = backend.call("refund_charge", charge=paid, amount=15000, broker_amount=0, idempotency_key="rf-look")
    now = datetime.now(timezone.utc)  # noqa: UP017 (3.10)
    by_key = backend.call("retrieve_refund", refund=RefundRef(charge=paid, idempotency_key="rf-look",
                                                              amount=15000, created_at=now))
    by_id = backend.call("retrieve_refund", refund=RefundRef(charge=paid, idempotency_key="rf-look", amount=15000,
                                                             created_at=now, processor_key=made.processor_key))
    assert by_key == by_id
    assert (by_key.status, by_key.processor_key, by_key.amount, by_key.currency) == (
        RefundStatus.SUCCEEDED, made.processor_key, 15000, "inr")
    never = backend.call("retrieve_refund", refund=RefundRef(charge=paid, idempotency_key="rf-never",
                                                             amount=15000, created_at=now))
    assert never.status is RefundStatus.NOT_FOUND


def test_a_refund_whose_answer_was_lost_is_found_by_its_key(backend, paid, backdoor, fake):
    from datetime import datetime, timezone

    from payproc.errors import OutcomeUnknown
    from payproc.types import RefundRef, RefundStatus

    backdoor.backdoor("faults", {"method": "POST", "path": f"/v1/payments/{paid.processor_key}/refund",
                                 "mode": "timeout", "delay": 1.5})
    with pytest.raises(OutcomeUnknown):
        backend.call("refund_charge", charge=paid, amount=5000, broker_amount=0, idempotency_key="rf-lost")
    info = backend.call("retrieve_refund", refund=RefundRef(charge=paid, idempotency_key="rf-lost", amount=5000,
                                                            created_at=datetime.now(timezone.utc)))  # noqa: UP017
    assert info.status is RefundStatus.SUCCEEDED and info.amount == 5000
    again = backend.call("refund_charge", charge=paid, amount=5000, broker_amount=0, idempotency_key="rf-lost")
    assert again.processor_key == info.processor_key
    assert fake.state.payments[paid.processor_key]["amount_refunded"] == 5000
