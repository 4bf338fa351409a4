"""Cards on file: customers, saved tokens and recurring payments."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from payproc.errors import CardError, InvalidInput, ProcessorError
from payproc.types import ChargeStatus, ProcessorKeys
from razorpay_helpers import BROKER, PROVIDER, card_context, charge_ref, request_for


def with_card(party, card_key):
    return dataclasses.replace(party, keys=ProcessorKeys(card_key=card_key))


def save_card(backend, backdoor, subscriber, **card):
    token = backdoor.card_payment(card_context(backend, subscriber), card=card)
    update = backend.call("create_or_update_card", subscriber=subscriber, token=token, provider=PROVIDER,
                          broker=BROKER)
    return with_card(subscriber, update.card_key), update


def test_card_context_opens_a_customer_and_an_authorization_order(backend, subscriber, fake):
    context = backend.call("get_payment_context", subscriber=subscriber, amount=None, currency=None,
                           provider=PROVIDER, broker=BROKER, broker_fee_amount=0, return_url=None, idempotency_key=None)
    assert context.values["customer_id"].startswith("cust_")
    assert context.values["recurring"] == "1"
    if fake is not None:
        order = fake.state.orders[context.reference]
        assert order["amount"] == 100 and order["_customer_id"] == context.values["customer_id"]
        assert order["_token"]["max_amount"] > 0 and order["_payment_capture"] is False
        assert (order["notes"]["payproc_subscriber"], order["notes"]["payproc_customer"]) == (
            subscriber.slug, context.values["customer_id"]), "the notes bind the order to the subscriber"
    again = backend.call("get_payment_context", subscriber=subscriber, amount=None, currency=None,
                         provider=PROVIDER, broker=BROKER, broker_fee_amount=0, return_url=None, idempotency_key=None)
    assert again.values["customer_id"] == context.values["customer_id"]  # fail_existing=0


def test_card_update_checkout_saves_the_card(backend, backdoor, subscriber):
    context = backend.call("get_payment_context", subscriber=subscriber, amount=None, currency=None,
                           provider=PROVIDER, broker=BROKER, broker_fee_amount=0, return_url=None, idempotency_key=None)
    token, _ = backdoor.pay(context, 100, "inr", card={"last4": "1111", "network": "Visa", "name": "Asha Rao",
                                                        "expiry_month": 2, "expiry_year": 2031})
    update = backend.call("create_or_update_card", subscriber=subscriber, token=token, provider=PROVIDER,
                          broker=BROKER)
    assert update.card_key == context.values["customer_id"]
    assert (update.card.last4, update.card.brand, update.card.exp_date) == ("1111", "Visa", date(2031, 2, 1))
    card = backend.call("retrieve_card", subscriber=with_card(subscriber, update.card_key), broker=BROKER)
    assert card == update.card


def test_card_saved_for_another_profile_is_refused(backend, backdoor, subscriber):
    context = backend.call("get_payment_context", subscriber=subscriber, amount=None, currency=None,
                           provider=PROVIDER, broker=BROKER, broker_fee_amount=0, return_url=None, idempotency_key=None)
    token, _ = backdoor.pay(context, 100, "inr")
    thief = dataclasses.replace(subscriber, slug="someone-else")
    with pytest.raises(InvalidInput, match="another customer's order"):
        backend.call("create_or_update_card", subscriber=thief, token=token, provider=PROVIDER, broker=BROKER)


def test_new_card_takes_over_and_the_old_token_is_kept(backend, backdoor, subscriber, fake):
    subscriber, first = save_card(backend, backdoor, subscriber, last4="1111")
    customer = subscriber.keys.card_key
    context = backend.call("get_payment_context", subscriber=subscriber, amount=None, currency=None,
                           provider=PROVIDER, broker=BROKER, broker_fee_amount=0, return_url=None, idempotency_key=None)
    assert context.values["customer_id"] == customer
    token, _ = backdoor.pay(context, 100, "inr", card={"last4": "2222"})
    update = backend.call("create_or_update_card", subscriber=subscriber, token=token, provider=PROVIDER,
                          broker=BROKER)
    assert update.card_key == customer and update.card.last4 == "2222"
    assert backend.call("retrieve_card", subscriber=subscriber, broker=BROKER).last4 == "2222"
    assert first.card.last4 == "1111"
    kept = [t for t in fake.state.tokens.values() if t["_customer_id"] == customer and not t["_deleted"]]
    assert sorted(t["card"]["last4"] for t in kept) == ["1111", "2222"], "saving a card deletes no token"


def test_declined_card_is_not_saved(backend, backdoor, subscriber):
    token = backdoor.card_payment(card_context(backend, subscriber), outcome="decline")
    with pytest.raises(CardError) as caught:
        backend.call("create_or_update_card", subscriber=subscriber, token=token, provider=PROVIDER, broker=BROKER)
    assert caught.value.charge_processor_key == token


def test_payment_that_saved_no_card_cannot_become_the_card_on_file(checkout, backend, subscriber, key):
    result, _ = checkout(subscriber, 50000, "inr", key)
    with pytest.raises(ProcessorError, match="saved no card"):
        backend.call("create_or_update_card", subscriber=subscriber, token=result.processor_key,
                     provider=PROVIDER, broker=BROKER)


def test_recurring_charge_is_pending_until_razorpay_debits(backend, backdoor, subscriber, key, fake):
    """Razorpay debits a saved card hours after the request: the payment is
    ``created``, then authorized and captured by its auto-capture order."""
    subscriber, _ = save_card(backend, backdoor, subscriber, last4="4444", network="MasterCard")
    result = backend.call("create_charge", request=request_for(subscriber, 75000, "inr", key))
    assert result.status is ChargeStatus.PENDING
    assert (result.amount, result.currency, result.receipt.last4) == (75000, "inr", "4444")
    payment = fake.state.payments[result.processor_key]
    assert payment["status"] == "created" and not payment["captured"]
    assert payment["contact"] == subscriber.phone and payment["token_id"]
    order = fake.state.orders[payment["order_id"]]
    assert order["_payment_capture"] is True, "a renewal order must capture by itself when authorized"
    assert backdoor.debit_due() == [result.processor_key]
    assert payment["captured"], "authorized and captured with no call of ours"
    assert not [path for _, path in backdoor.requests_made() if path.endswith("/capture")]
    charge = charge_ref(subscriber, 75000, "inr", key, result.processor_key)
    info = backend.call("retrieve_charge", charge=charge)
    assert (info.status, info.processor_key, info.idempotency_key) == (ChargeStatus.SUCCEEDED, result.processor_key,
                                                                        key)


def test_retried_recurring_charge_pays_once(backend, backdoor, subscriber, key, harness):
    subscriber, _ = save_card(backend, backdoor, subscriber)
    first = backend.call("create_charge", request=request_for(subscriber, 75000, "inr", key))
    second = backend.call("create_charge", request=request_for(subscriber, 75000, "inr", key))
    assert first.processor_key == second.processor_key
    backdoor.debit_due()
    third = backend.call("create_charge", request=request_for(subscriber, 75000, "inr", key))
    assert third.processor_key == first.processor_key and third.status is ChargeStatus.SUCCEEDED
    assert len(harness.processor_charges(key)) == 1


def test_recurring_charge_declined_when_razorpay_debits(backend, backdoor, subscriber, key, harness):
    subscriber, _ = save_card(backend, backdoor, subscriber)
    [token] = [t for t in backdoor.backdoor("payments")["items"] if t["token_id"]]
    backdoor.backdoor("tokens/decline", {"token_id": token["token_id"]})
    result = backend.call("create_charge", request=request_for(subscriber, 75000, "inr", key))
    assert result.status is ChargeStatus.PENDING
    backdoor.debit_due()
    info = backend.call("retrieve_charge", charge=charge_ref(subscriber, 75000, "inr", key, result.processor_key))
    assert (info.status, info.failure_code) == (ChargeStatus.FAILED, "payment_declined")
    assert [c["status"] for c in harness.processor_charges(key)] == ["failed"]


def test_charge_without_card_on_file(backend, subscriber, key):
    with pytest.raises(CardError) as caught:
        backend.call("create_charge", request=request_for(subscriber, 75000, "inr", key))
    assert caught.value.code == "card_absent"


def test_delete_card(backend, backdoor, subscriber, key):
    subscriber, _ = save_card(backend, backdoor, subscriber)
    backend.call("delete_card", subscriber=subscriber, broker=BROKER)
    assert backend.call("retrieve_card", subscriber=subscriber, broker=BROKER) is None
    with pytest.raises(CardError, match="no usable"):
        backend.call("create_charge", request=request_for(subscriber, 75000, "inr", key))


def test_card_on_file_passed_as_token_pays_recurring(backend, backdoor, subscriber, key):
    """djaodjin's remember_card path hands create_payment the customer id."""
    subscriber, _ = save_card(backend, backdoor, subscriber)
    result = backend.call("create_payment", request=request_for(subscriber, 30000, "inr", key,
                                                                 subscriber.keys.card_key), reference=None)
    assert result.status is ChargeStatus.PENDING and result.processor_key.startswith("pay_")


def test_another_customers_card_on_file_passed_as_token_is_refused(backend, backdoor, subscriber, key, fake):
    """A browser that posts someone else's ``cust_…`` as the payment id is
    refused before any request: no order, no recurring payment on their card."""
    owner, _ = save_card(backend, backdoor, subscriber)
    thief = dataclasses.replace(subscriber, slug="someone-else", keys=ProcessorKeys())
    before = (len(fake.state.orders), len(fake.state.payments)) if fake is not None else None
    with pytest.raises(InvalidInput, match="not this customer's"):
        backend.call("create_payment", request=request_for(thief, 30000, "inr", key, owner.keys.card_key),
                     reference=None)
    if fake is not None:
        assert (len(fake.state.orders), len(fake.state.payments)) == before
