"""After the checkout: the customer's return, captures of authorizations,
UPI payments awaiting approval, abandoned orders, saving a card in the
payment itself."""

from __future__ import annotations

import dataclasses

import pytest
from payproc.types import ChargeStatus, ProcessorKeys
from razorpay_helpers import BROKER, PROVIDER, card_context, charge_ref, request_for


def context_for(backend, subscriber, amount, key):
    return backend.call("get_payment_context", subscriber=subscriber, amount=amount, currency="inr",
                        provider=PROVIDER, broker=BROKER, broker_fee_amount=0, return_url=None, idempotency_key=key)


def test_complete_payment_with_the_handlers_fields(backend, backdoor, subscriber, key, fake):
    context = context_for(backend, subscriber, 50000, key)
    token, fields = backdoor.pay(context, 50000, "inr")
    charge = charge_ref(subscriber, 50000, "inr", key, None, reference=context.reference)
    params = {"razorpay_payment_id": token, **fields}
    first = backend.call("complete_payment", charge=charge, params=params)
    again = backend.call("complete_payment", charge=charge, params=params)
    assert (first.status, first.processor_key) == (ChargeStatus.SUCCEEDED, token) and again == first
    assert [p for _, p in backdoor.requests_made() if p.endswith("/capture")] == [f"/v1/payments/{token}/capture"]


def test_forged_return_is_settled_from_razorpays_records(backend, backdoor, subscriber, key, fake):
    context = context_for(backend, subscriber, 50000, key)
    charge = charge_ref(subscriber, 50000, "inr", key, None, reference=context.reference)
    forged = {"razorpay_payment_id": "pay_Forged00000001", "razorpay_order_id": context.reference,
              "razorpay_signature": "0" * 64}
    unpaid = backend.call("complete_payment", charge=charge, params=forged)
    assert (unpaid.status, unpaid.processor_key, unpaid.amount) == (ChargeStatus.AWAITING_CUSTOMER, "", 50000)
    token, _ = backdoor.pay(context, 50000, "inr")  # the customer really pays afterwards
    result = backend.call("complete_payment", charge=charge, params=forged)
    assert (result.status, result.processor_key) == (ChargeStatus.SUCCEEDED, token)


def test_payment_authorized_is_captured_through_capture_charge(backend, backdoor, subscriber, key, fake):
    context = context_for(backend, subscriber, 50000, key)
    token, _ = backdoor.pay(context, 50000, "inr")  # authorized; the browser never came back
    [(body, headers)] = backdoor.deliveries("payment.authorized")
    event = backend.call("parse_webhook", body=body, headers=headers)
    charge = charge_ref(subscriber, 50000, "inr", key, event.charge_processor_key, reference=context.reference)
    result = backend.call("capture_charge", charge=charge)
    assert (result.status, result.processor_key) == (ChargeStatus.SUCCEEDED, token)
    assert fake.state.payments[token]["captured"]


def test_capture_charge_refuses_a_payment_of_another_charge(backend, backdoor, subscriber, key, fake):
    from payproc.errors import IntegrityMismatch

    ours = context_for(backend, subscriber, 50000, key)
    other = context_for(backend, subscriber, 50000, key + "-other")
    token, _ = backdoor.pay(other, 50000, "inr")
    charge = charge_ref(subscriber, 50000, "inr", key, token, reference=ours.reference)
    with pytest.raises(IntegrityMismatch):
        backend.call("capture_charge", charge=charge)
    assert fake.state.payments[token]["status"] == "authorized"


def test_upi_payment_stays_pending_until_razorpay_says_otherwise(backend, backdoor, subscriber, key, fake):
    context = context_for(backend, subscriber, 50000, key)
    token, fields = backdoor.pay(context, 50000, "inr", method="upi")
    result = backend.call("create_payment", request=request_for(subscriber, 50000, "inr", key, token, dict(fields)),
                          reference=context.reference)
    assert result.status is ChargeStatus.PENDING and fake.state.payments[token]["status"] == "created"
    charge = charge_ref(subscriber, 50000, "inr", key, token, reference=context.reference)
    for _ in range(2):  # however long we wait, it is Razorpay's to say
        assert backend.call("retrieve_charge", charge=charge).status is ChargeStatus.PENDING
        assert backend.call("cancel_payment", charge=charge).status is ChargeStatus.PENDING
    backdoor.backdoor(f"payments/{token}/authorize", {})
    assert backend.call("retrieve_charge", charge=charge).status is ChargeStatus.SUCCEEDED
    assert fake.state.payments[token]["captured"]


def test_upi_payment_the_customer_never_approves_fails_when_razorpay_says_so(backend, backdoor, subscriber, key):
    context = context_for(backend, subscriber, 50000, key)
    token, _ = backdoor.pay(context, 50000, "inr", method="upi")
    charge = charge_ref(subscriber, 50000, "inr", key, None, reference=context.reference)
    assert backend.call("retrieve_charge", charge=charge).status is ChargeStatus.PENDING
    backdoor.backdoor(f"payments/{token}/fail", {})
    # The customer may still pay the same order another way: still awaiting them.
    info = backend.call("retrieve_charge", charge=charge)
    assert (info.status, info.failure_code) == (ChargeStatus.AWAITING_CUSTOMER, "payment_declined")


def test_save_card_books_the_payment_and_keeps_only_a_recurring_card(backend, backdoor, subscriber, key, fake,
                                                                     caplog):
    """``save_card``: the one payment is captured whatever happens to the
    card; Checkout's "save this card" on a charge's order leaves a token
    that is no recurring mandate, so the card on file is unchanged (said in
    the log); a card-update payment's confirmed mandate is what is kept."""
    from payproc_razorpay.cards import Cards

    cards = Cards(backend.impl.client)
    customer = cards.customer_for(subscriber)
    with_customer = dataclasses.replace(subscriber, keys=ProcessorKeys(card_key=customer["id"]))
    for n, save in enumerate((True, False)):
        context = context_for(backend, with_customer, 50000, f"{key}-{n}")
        token, fields = backdoor.pay(context, 50000, "inr", save=save)
        with caplog.at_level("WARNING", logger="payproc.razorpay"):
            result = backend.call("create_payment", request=request_for(
                with_customer, 50000, "inr", f"{key}-{n}", token, dict(fields), save_card=True),
                reference=context.reference)
        assert (result.status, result.card_key) == (ChargeStatus.SUCCEEDED, None)
        assert fake.state.payments[token]["captured"], "the payment is booked whatever happened to the card"
        assert token in caplog.text
    mandate_payment = backdoor.card_payment(card_context(backend, with_customer))
    assert cards.kept_by(with_customer, fake.state.payments[mandate_payment]) == customer["id"]
    assert cards.kept_by(dataclasses.replace(subscriber, slug="someone-else"), fake.state.payments[mandate_payment]) \
        is None, "another customer's mandate is not kept"


def test_minimum_amount(backend):
    assert backend.call("minimum_amount", currency="inr") == 100
    assert backend.call("minimum_amount", currency="usd") == 100
    assert backend.call("minimum_amount", currency="kwd") == 1000
    assert backend.call("minimum_amount", currency="jpy") == 1


def test_list_payments(backend, checkout, subscriber, key):
    from datetime import datetime, timedelta, timezone

    result, _ = checkout(subscriber, 50000, "inr", key)
    now = datetime.now(timezone.utc)  # noqa: UP017 (3.10)
    found = backend.call("list_payments", since=now - timedelta(minutes=5), until=now + timedelta(minutes=5))
    assert [(p.processor_key, p.status, p.amount) for p in found] == [
        (result.processor_key, ChargeStatus.SUCCEEDED, 50000)]
    assert backend.call("list_payments", since=now + timedelta(minutes=5), until=now + timedelta(minutes=10)) == []
