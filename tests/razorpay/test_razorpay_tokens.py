"""Which saved token a recurring charge uses, and which tokens are kept."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from payproc.errors import CardError
from payproc.types import ChargeStatus, ProcessorKeys
from razorpay_helpers import BROKER, PROVIDER, card_context, request_for


def save(backend, backdoor, subscriber, **card):
    token = backdoor.card_payment(card_context(backend, subscriber), card=card)
    update = backend.call("create_or_update_card", subscriber=subscriber, token=token, provider=PROVIDER,
                          broker=BROKER)
    return dataclasses.replace(subscriber, keys=ProcessorKeys(card_key=update.card_key)), token


def token_of(fake, payment_id):
    return fake.state.payments[payment_id]["token_id"]


def test_the_newest_confirmed_card_token_is_charged_and_named(backend, backdoor, subscriber, key, fake, caplog):
    subscriber, first = save(backend, backdoor, subscriber, last4="1111")
    subscriber, second = save(backend, backdoor, subscriber, last4="2222")
    backdoor.backdoor("tokens/recurring_status", {"token_id": token_of(fake, second), "status": "initiated"})
    with caplog.at_level(logging.INFO, logger="payproc.razorpay"):
        result = backend.call("create_charge", request=request_for(subscriber, 50000, "inr", key))
    assert fake.state.payments[result.processor_key]["token_id"] == token_of(fake, first)
    assert result.receipt.last4 == "1111", "the receipt shows the card that was charged"
    assert token_of(fake, first) in caplog.text and "***-1111" in caplog.text
    backdoor.backdoor("tokens/recurring_status", {"token_id": token_of(fake, second), "status": "confirmed"})
    later = backend.call("create_charge", request=request_for(subscriber, 50000, "inr", key + "-2"))
    assert fake.state.payments[later.processor_key]["token_id"] == token_of(fake, second)


def test_a_token_saved_without_a_mandate_is_not_charged(backend, backdoor, subscriber, key, fake):
    subscriber, first = save(backend, backdoor, subscriber, last4="1111")
    backdoor.backdoor("tokens/recurring_status", {"token_id": token_of(fake, first), "status": "rejected"})
    before = len(fake.state.payments)
    with pytest.raises(CardError, match="no confirmed recurring card token") as caught:
        backend.call("create_charge", request=request_for(subscriber, 50000, "inr", key))
    assert caught.value.code == "card_absent" and len(fake.state.payments) == before


def test_a_confirmed_e_mandate_survives_card_updates_and_card_deletion(backend, backdoor, subscriber, fake):
    subscriber, _ = save(backend, backdoor, subscriber, last4="1111")
    mandate = backdoor.backdoor("tokens/mandate", {"customer_id": subscriber.keys.card_key})
    assert mandate["method"] == "emandate" and mandate["recurring_details"]["status"] == "confirmed"
    subscriber, _ = save(backend, backdoor, subscriber, last4="2222")
    assert not fake.state.tokens[mandate["id"]]["_deleted"]
    backend.call("delete_card", subscriber=subscriber, broker=BROKER)
    assert not fake.state.tokens[mandate["id"]]["_deleted"], "the e-mandate is not payproc's to delete"
    cards = [t for t in fake.state.tokens.values() if t["_customer_id"] == subscriber.keys.card_key
             and t["method"] == "card"]
    assert cards and all(t["_deleted"] for t in cards)
    assert backend.call("retrieve_card", subscriber=subscriber, broker=BROKER) is None


def test_missing_phone_is_refused_before_any_request(backend, backdoor, subscriber, key, fake):
    from payproc_razorpay.errors import MissingContact

    subscriber, _ = save(backend, backdoor, subscriber)
    requests_before, payments_before = len(fake.state.requests), len(fake.state.payments)
    for customer in (dataclasses.replace(subscriber, phone=None), dataclasses.replace(subscriber, phone=None,
                                                                                       email=None)):
        with pytest.raises(MissingContact, match="phone") as caught:
            backend.call("create_charge", request=request_for(customer, 50000, "inr", key))
        assert "phone" in caught.value.missing
    assert len(fake.state.requests) == requests_before and len(fake.state.payments) == payments_before
    assert backend.call("create_charge", request=request_for(subscriber, 50000, "inr", key)).status is \
        ChargeStatus.PENDING
