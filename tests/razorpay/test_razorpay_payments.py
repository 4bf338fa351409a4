"""Checkout: the order, the signature, capture, and what is refused."""

from __future__ import annotations

import pytest
from payproc.errors import (
    CardError,
    IntegrityMismatch,
    InvalidAmount,
    OutcomeUnknown,
    ProcessorError,
)
from payproc.types import ChargeStatus
from razorpay_helpers import BROKER, PROVIDER, request_for


def context_for(backend, subscriber, amount, currency, key):
    return backend.call("get_payment_context", subscriber=subscriber, amount=amount, currency=currency,
                        provider=PROVIDER, broker=BROKER, broker_fee_amount=0, return_url=None, idempotency_key=key)


def test_context_creates_an_order_checkout_needs(backend, harness, subscriber, key):
    context = context_for(backend, subscriber, 50000, "inr", key)
    assert context.token_field == "razorpay_payment_id"
    assert context.reference.startswith("order_")
    assert context.values["order_id"] == context.reference
    assert context.values["key"] == harness.key_id
    assert context.values["amount"] == 50000 and context.values["currency"] == "INR"
    assert harness.key_secret not in repr(context)


def test_retried_context_reuses_the_order(backend, subscriber, key, fake):
    first = context_for(backend, subscriber, 50000, "inr", key)
    second = context_for(backend, subscriber, 50000, "inr", key)
    assert first.reference == second.reference
    if fake is not None:
        assert len(fake.state.orders) == 1
        assert next(iter(fake.state.orders.values()))["receipt"] == key


def test_long_idempotency_keys_fit_razorpay_receipts(backend, subscriber, fake):
    key = "renewal:" + "x" * 80
    first = context_for(backend, subscriber, 50000, "inr", key)
    assert context_for(backend, subscriber, 50000, "inr", key).reference == first.reference
    if fake is not None:
        assert len(fake.state.orders[first.reference]["receipt"]) <= 40


def test_same_key_another_amount_is_refused(backend, subscriber, key):
    context_for(backend, subscriber, 50000, "inr", key)
    with pytest.raises(IntegrityMismatch):
        context_for(backend, subscriber, 60000, "inr", key)


def test_payment_is_captured_with_its_receipt(checkout, subscriber, key, harness, fake):
    result, context = checkout(subscriber, 50000, "inr", key, card={"last4": "4242", "network": "Visa",
                                                                   "name": "Asha Rao"})
    assert result.status is ChargeStatus.SUCCEEDED
    assert result.processor_key.startswith("pay_")
    assert (result.amount, result.currency) == (50000, "inr")
    assert (result.receipt.last4, result.receipt.brand, result.receipt.card_name) == ("4242", "Visa", "Asha Rao")
    [charge] = harness.processor_charges(key)
    assert charge["status"] == "succeeded" and charge["id"] == result.processor_key
    payment = fake.state.payments[result.processor_key]
    assert (payment["fee"], payment["tax"]) == (1180, 180)
    assert fake.state.orders[context.reference]["status"] == "paid"


def test_retrying_create_payment_does_not_capture_twice(backend, backdoor, subscriber, key, fake):
    context = context_for(backend, subscriber, 50000, "inr", key)
    token, fields = backdoor.pay(context, 50000, "inr")
    request = request_for(subscriber, 50000, "inr", key, token, dict(fields))
    first = backend.call("create_payment", request=request, reference=context.reference)
    second = backend.call("create_payment", request=request, reference=context.reference)
    assert first.processor_key == second.processor_key
    captures = [path for method, path in backdoor.requests_made() if path.endswith("/capture")]
    assert captures == [f"/v1/payments/{token}/capture"]


def test_forged_signature_is_refused_and_nothing_captured(backend, backdoor, subscriber, key, fake):
    context = context_for(backend, subscriber, 50000, "inr", key)
    token, _ = backdoor.pay(context, 50000, "inr")
    for fields in ({}, {"razorpay_signature": "0" * 64}, {"razorpay_signature": "not hex ✓"}):
        with pytest.raises(ProcessorError, match="signature"):
            backend.call("create_payment", request=request_for(subscriber, 50000, "inr", key, token, fields),
                         reference=context.reference)
    assert fake.state.payments[token]["status"] == "authorized"


def test_signature_is_checked_against_the_stored_order_not_the_browsers(backend, backdoor, subscriber, key, fake):
    """A payment of a cheap order, signed for that order, cannot pay a dear one."""
    cheap = context_for(backend, subscriber, 100, "inr", key + "-cheap")
    dear = context_for(backend, subscriber, 500000, "inr", key)
    token, fields = backdoor.pay(cheap, 100, "inr")
    assert fields["razorpay_order_id"] == cheap.reference
    with pytest.raises(ProcessorError, match="razorpay_order_id is not this charge's order"):
        backend.call("create_payment", request=request_for(subscriber, 500000, "inr", key, token, dict(fields)),
                     reference=dear.reference)
    del fields["razorpay_order_id"]  # the order id left out: the signature still names the cheap order
    with pytest.raises(ProcessorError, match="signature"):
        backend.call("create_payment", request=request_for(subscriber, 500000, "inr", key, token, dict(fields)),
                     reference=dear.reference)
    assert fake.state.payments[token]["status"] == "authorized"


def test_payment_of_another_amount_is_refused_before_capture(backend, backdoor, subscriber, key, fake):
    context = context_for(backend, subscriber, 50000, "inr", key)
    token, fields = backdoor.pay(context, 50000, "inr")
    with pytest.raises(IntegrityMismatch, match=r"is for 500\.00 INR, not 400\.00 INR") as caught:
        backend.call("create_payment", request=request_for(subscriber, 40000, "inr", key, token, dict(fields)),
                     reference=context.reference)
    assert (caught.value.expected, caught.value.answered) == ((40000, "inr"), (50000, "inr"))
    assert fake.state.payments[token]["status"] == "authorized"


def test_declined_payment_is_a_card_error_with_its_id(checkout, subscriber, key, harness):
    with pytest.raises(CardError) as caught:
        checkout(subscriber, 50000, "inr", key, outcome="decline")
    assert caught.value.code == "payment_declined"
    assert caught.value.charge_processor_key.startswith("pay_")
    assert [c["status"] for c in harness.processor_charges(key)] == ["failed"]


def test_lost_capture_answer_is_unknown_then_settled(backend, checkout, subscriber, key, harness):
    from razorpay_helpers import charge_ref

    with pytest.raises(OutcomeUnknown):
        checkout(subscriber, 50000, "inr", key, outcome="unknown")
    [charge] = harness.processor_charges(key)
    assert charge["status"] == "succeeded"  # the capture took effect; only its answer was lost
    info = backend.call("retrieve_charge", charge=charge_ref(subscriber, 50000, "inr", key, None))
    assert info.status is ChargeStatus.SUCCEEDED and info.processor_key == charge["id"]


def test_auto_captured_orders_are_not_captured_again(make_backend, backdoor, subscriber, key):
    backend = make_backend(AUTO_CAPTURE=True)
    context = context_for(backend, subscriber, 25000, "inr", key)
    token, fields = backdoor.pay(context, 25000, "inr")
    result = backend.call("create_payment", request=request_for(subscriber, 25000, "inr", key, token, dict(fields)),
                          reference=context.reference)
    assert result.status is ChargeStatus.SUCCEEDED
    assert not [path for _, path in backdoor.requests_made() if path.endswith("/capture")]


def test_create_payment_without_stored_order_is_refused(backend, subscriber, key):
    with pytest.raises(ProcessorError, match="order"):
        backend.call("create_payment", request=request_for(subscriber, 50000, "inr", key, "pay_X",
                                                           {"razorpay_signature": "x"}), reference=None)


@pytest.mark.parametrize(
    ("amount", "currency", "match"),
    [(99, "inr", "minimum"), (1, "inr", "minimum"), (99, "usd", "minimum"), (990, "kwd", "minimum"),
     (1234, "kwd", "multiples of 10"), (1235, "bhd", "multiples of 10")],
)
def test_amounts_razorpay_refuses_are_refused_before_any_call(backend, subscriber, key, amount, currency, match,
                                                               fake):
    with pytest.raises(InvalidAmount, match=match):
        context_for(backend, subscriber, amount, currency, key)
    if fake is not None:
        assert fake.state.requests == []


def test_three_decimal_currency_amount_ending_in_zero_is_paid(checkout, subscriber, key):
    result, context = checkout(subscriber, 12340, "kwd", key)
    assert (result.amount, result.currency) == (12340, "kwd")
    assert context.values["currency"] == "KWD"


def test_fake_refuses_what_razorpay_refuses(harness, fake):
    """The fake's own refusals, through the real SDK (the backend checks first)."""
    if fake is None:
        pytest.skip("fake only")
    import razorpay

    client = razorpay.Client(auth=(harness.key_id, harness.key_secret), base_url=harness.api_base)
    for data, text in [
        ({"amount": 99, "currency": "INR"}, "minimum"),
        ({"amount": 1234, "currency": "KWD"}, "last digit"),
        ({"amount": 1000, "currency": "XYZ"}, "not supported"),
        ({"amount": 1000, "currency": "INR", "receipt": "r" * 41}, "40 characters"),
        ({"amount": 1000, "currency": "INR", "colour": "red"}, "should not be sent"),
    ]:
        with pytest.raises(razorpay.errors.BadRequestError, match=text):
            client.order.create(data)
    with pytest.raises(razorpay.errors.BadRequestError, match="Authentication failed"):
        razorpay.Client(auth=(harness.key_id, "wrong"), base_url=harness.api_base).order.all()
