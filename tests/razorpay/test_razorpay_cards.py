"""Cards on file: customers, saved tokens and recurring payments."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from payproc.errors import CardError, ProcessorError
from payproc.types import ChargeStatus, ProcessorKeys
from razorpay_helpers import BROKER, PROVIDER, request_for


def with_card(party, card_key):
    return dataclasses.replace(party, keys=ProcessorKeys(card_key=card_key))


def save_card(backend, backdoor, subscriber, **card):
    token = backdoor.card_token(card=card)
    update = backend.call("create_or_update_card", subscriber=subscriber, token=token, provider=PROVIDER,
                          broker=BROKER)
    return with_card(subscriber, update.card_key), update


def test_card_context_opens_a_customer_and_an_authorization_order(backend, subscriber, fake):
    context = backend.call("get_payment_context", subscriber=subscriber, amount=None, currency=None,
                           provider=PROVIDER, broker=BROKER, broker_fee_amount=0, idempotency_key=None)
    assert context.values["customer_id"].startswith("cust_")
    assert context.values["recurring"] == "1"
    if fake is not None:
        order = fake.state.orders[context.reference]
        assert order["amount"] == 100 and order["_customer_id"] == context.values["customer_id"]
        assert order["_token"]["max_amount"] > 0 and order["_payment_capture"] is False
    again = backend.call("get_payment_context", subscriber=subscriber, amount=None, currency=None,
                         provider=PROVIDER, broker=BROKER, broker_fee_amount=0, idempotency_key=None)
    assert again.values["customer_id"] == context.values["customer_id"]  # fail_existing=0


def test_card_update_checkout_saves_the_card(backend, backdoor, subscriber):
    context = backend.call("get_payment_context", subscriber=subscriber, amount=None, currency=None,
                           provider=PROVIDER, broker=BROKER, broker_fee_amount=0, idempotency_key=None)
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
                           provider=PROVIDER, broker=BROKER, broker_fee_amount=0, idempotency_key=None)
    token, _ = backdoor.pay(context, 100, "inr")
    thief = dataclasses.replace(subscriber, slug="someone-else")
    with pytest.raises(ProcessorError, match="another profile"):
        backend.call("create_or_update_card", subscriber=thief, token=token, provider=PROVIDER, broker=BROKER)


def test_new_card_replaces_the_old_one(backend, backdoor, subscriber):
    subscriber, first = save_card(backend, backdoor, subscriber, last4="1111")
    customer = subscriber.keys.card_key
    context = backend.call("get_payment_context", subscriber=subscriber, amount=None, currency=None,
                           provider=PROVIDER, broker=BROKER, broker_fee_amount=0, idempotency_key=None)
    assert context.values["customer_id"] == customer
    token, _ = backdoor.pay(context, 100, "inr", card={"last4": "2222"})
    update = backend.call("create_or_update_card", subscriber=subscriber, token=token, provider=PROVIDER,
                          broker=BROKER)
    assert update.card_key == customer and update.card.last4 == "2222"
    assert backend.call("retrieve_card", subscriber=subscriber, broker=BROKER).last4 == "2222"
    assert len(backdoor.backdoor(f"payments/{token}")) and first.card.last4 == "1111"


def test_declined_card_is_not_saved(backend, backdoor, subscriber):
    token = backdoor.card_token(outcome="decline")
    with pytest.raises(CardError) as caught:
        backend.call("create_or_update_card", subscriber=subscriber, token=token, provider=PROVIDER, broker=BROKER)
    assert caught.value.charge_processor_key == token


def test_payment_that_saved_no_card_cannot_become_the_card_on_file(checkout, backend, subscriber, key):
    result, _ = checkout(subscriber, 50000, "inr", key)
    with pytest.raises(ProcessorError, match="saved no card"):
        backend.call("create_or_update_card", subscriber=subscriber, token=result.processor_key,
                     provider=PROVIDER, broker=BROKER)


def test_recurring_charge_on_the_saved_card(backend, backdoor, subscriber, key, fake):
    subscriber, _ = save_card(backend, backdoor, subscriber, last4="4444", network="MasterCard")
    result = backend.call("create_charge", request=request_for(subscriber, 75000, "inr", key))
    assert result.status is ChargeStatus.SUCCEEDED
    assert (result.amount, result.currency, result.receipt.last4) == (75000, "inr", "4444")
    assert result.card_key == subscriber.keys.card_key
    payment = fake.state.payments[result.processor_key]
    assert payment["captured"] and payment["token_id"] and payment["customer_id"] == subscriber.keys.card_key
    assert ("POST", "/v1/payments/create/recurring") in backdoor.requests_made()


def test_retried_recurring_charge_pays_once(backend, backdoor, subscriber, key, harness):
    subscriber, _ = save_card(backend, backdoor, subscriber)
    first = backend.call("create_charge", request=request_for(subscriber, 75000, "inr", key))
    second = backend.call("create_charge", request=request_for(subscriber, 75000, "inr", key))
    assert first.processor_key == second.processor_key
    assert len(harness.processor_charges(key)) == 1


def test_recurring_charge_declined(backend, backdoor, subscriber, key, harness):
    subscriber, _ = save_card(backend, backdoor, subscriber)
    [token] = [t for t in backdoor.backdoor("payments")["items"] if t["token_id"]]
    backdoor.backdoor("tokens/decline", {"token_id": token["token_id"]})
    with pytest.raises(CardError) as caught:
        backend.call("create_charge", request=request_for(subscriber, 75000, "inr", key))
    [charge] = harness.processor_charges(key)
    assert caught.value.charge_processor_key == charge["id"] and charge["status"] == "failed"


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
    assert result.status is ChargeStatus.SUCCEEDED
