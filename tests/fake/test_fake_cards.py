"""The card on file: create_or_update_card, retrieve_card, delete_card,
create_charge, list_customers."""

from __future__ import annotations

from dataclasses import replace

import pytest
from payproc.errors import (
    CardDataRefused,
    CardError,
    InvalidInput,
    OutcomeUnknown,
    ProcessorSetupError,
)
from payproc.types import CardUpdate, ChargeStatus, Party


def with_card(party: Party, card_key: str | None) -> Party:
    return replace(party, keys=replace(party.keys, card_key=card_key))


@pytest.fixture
def save(backend, provider, broker):
    def save(subscriber: Party, token: str = "tok_visa") -> CardUpdate:
        return backend.call("create_or_update_card", subscriber=subscriber, token=token, provider=provider, broker=broker)

    return save


def test_a_good_token_creates_a_customer_with_the_card(backend, save, subscriber, broker):
    update = save(subscriber)
    assert update.card_key.startswith("cus_fake_")
    assert (update.card.last4, update.card.brand, update.card.card_name) == ("4242", "visa", "Joe Test")
    assert update.card.masked() == "***-4242"
    card = backend.call("retrieve_card", subscriber=with_card(subscriber, update.card_key), broker=broker)
    assert card == update.card


def test_updating_keeps_the_customer(save, subscriber):
    first = save(subscriber)
    second = save(with_card(subscriber, first.card_key), "tok_visa")
    assert second.card_key == first.card_key


def test_an_unknown_card_key_gets_a_new_customer(save, subscriber):
    update = save(with_card(subscriber, "cus_fake_gone"))
    assert update.card_key.startswith("cus_fake_") and update.card_key != "cus_fake_gone"


@pytest.mark.parametrize("token", ["tok_decline", "tok_expired", "tok_insufficient_funds"])
def test_a_declining_token_stores_nothing(backend, account, save, subscriber, broker, token):
    with pytest.raises(CardError):
        save(subscriber, token)
    assert backend.call("list_customers", pattern=".*", broker=broker) == []


def test_declined_update_leaves_the_previous_card(backend, save, subscriber, broker):
    first = save(subscriber)
    with pytest.raises(CardError):
        save(with_card(subscriber, first.card_key), "tok_decline")
    card = backend.call("retrieve_card", subscriber=with_card(subscriber, first.card_key), broker=broker)
    assert card is not None and card.last4 == "4242"


def test_card_setup_errors_name_the_broker(save, subscriber):
    with pytest.raises(ProcessorSetupError) as caught:
        save(subscriber, "tok_revoked")
    assert caught.value.provider == "broker"
    assert caught.value.revoked is True


def test_a_raw_card_number_is_refused(account, save, subscriber):
    with pytest.raises(CardDataRefused) as caught:
        save(subscriber, "4242424242424242")
    assert "4242424242424242" not in str(caught.value)
    assert not account.requests


def test_timeout_while_saving_stores_the_card(backend, save, subscriber, broker):
    with pytest.raises(OutcomeUnknown):
        save(subscriber, "tok_timeout")
    [customer] = backend.call("list_customers", pattern="^xia$", broker=broker)
    card = backend.call("retrieve_card", subscriber=with_card(subscriber, customer.processor_key), broker=broker)
    assert card is not None


def test_retrieve_card_without_card_key_or_card_is_none(backend, save, subscriber, broker):
    assert backend.call("retrieve_card", subscriber=subscriber, broker=broker) is None
    assert backend.call("retrieve_card", subscriber=with_card(subscriber, "cus_fake_nobody"), broker=broker) is None


def test_delete_card_forgets_it(backend, save, subscriber, broker):
    holder = with_card(subscriber, save(subscriber).card_key)
    assert backend.call("delete_card", subscriber=holder, broker=broker) is None
    assert backend.call("retrieve_card", subscriber=holder, broker=broker) is None
    # Deleting again, or for somebody without a card, is no error.
    backend.call("delete_card", subscriber=holder, broker=broker)
    backend.call("delete_card", subscriber=subscriber, broker=broker)


def test_create_charge_charges_the_card_on_file(backend, account, save, subscriber, request_for):
    holder = with_card(subscriber, save(subscriber).card_key)
    result = backend.call("create_charge", request=request_for(None, customer=holder))
    assert result.status is ChargeStatus.SUCCEEDED
    assert result.card_key == holder.keys.card_key
    assert result.receipt.last4 == "4242"
    [charge] = account.list_charges()
    assert charge["customer"] == holder.keys.card_key


def test_create_charge_is_idempotent(backend, account, save, subscriber, request_for):
    holder = with_card(subscriber, save(subscriber).card_key)
    request = request_for(None, customer=holder)
    assert backend.call("create_charge", request=request) == backend.call("create_charge", request=request)
    assert len(account.list_charges()) == 1


@pytest.mark.parametrize("card_key", [None, "cus_fake_unknown"])
def test_create_charge_without_a_known_customer_is_card_absent(backend, account, subscriber, request_for, card_key):
    with pytest.raises(CardError) as caught:
        backend.call("create_charge", request=request_for(None, customer=with_card(subscriber, card_key)))
    assert caught.value.code == "card_absent"
    assert account.list_charges() == []


def test_create_charge_after_delete_is_card_absent(backend, save, subscriber, broker, request_for):
    holder = with_card(subscriber, save(subscriber).card_key)
    backend.call("delete_card", subscriber=holder, broker=broker)
    with pytest.raises(CardError) as caught:
        backend.call("create_charge", request=request_for(None, customer=holder))
    assert caught.value.code == "card_absent"


def test_a_card_that_declines_later(backend, account, save, subscriber, request_for):
    update = save(subscriber, "tok_visa_chargeDeclined")  # attaches fine
    holder = with_card(subscriber, update.card_key)
    with pytest.raises(CardError) as caught:
        backend.call("create_charge", request=request_for(None, customer=holder))
    assert caught.value.code == "card_declined"
    [charge] = account.list_charges()
    assert charge["status"] == "failed" and caught.value.charge_processor_key == charge["id"]


def test_a_stored_mismatch_card_answers_another_amount(backend, save, subscriber, request_for):
    holder = with_card(subscriber, save(subscriber, "tok_mismatch").card_key)
    assert backend.call("create_charge", request=request_for(None, customer=holder, amount=500)).amount == 501


def test_list_customers_matches_the_description(backend, save, broker):
    save(Party("alpha-corp", email="a@example.com"))
    save(Party("beta-corp"))
    save(Party("gamma"))
    found = backend.call("list_customers", pattern=r"-corp$", broker=broker)
    assert sorted(c.description for c in found) == ["alpha-corp", "beta-corp"]
    assert all(c.processor_key.startswith("cus_fake_") for c in found)
    assert {c.email for c in found} == {"a@example.com", None}
    assert len(backend.call("list_customers", pattern=".*", broker=broker)) == 3


def test_list_customers_refuses_a_broken_pattern(backend, broker):
    with pytest.raises(InvalidInput):
        backend.call("list_customers", pattern="(", broker=broker)



def test_a_cus_token_charges_only_the_payers_own_card(backend, account, save, subscriber, request_for):
    """A ``cus_fake_…`` posted as the token is the payer's card on file, never
    another customer's: that is refused before anything is charged."""
    victim = save(replace(subscriber, slug="victim"))
    with pytest.raises(InvalidInput, match="not this customer's"):
        backend.call("create_payment", request=request_for(victim.card_key), reference=None)
    assert account.list_charges() == []
    own = save(subscriber)
    payer = with_card(subscriber, own.card_key)
    result = backend.call("create_payment", request=request_for(own.card_key, customer=payer), reference=None)
    assert result.status == ChargeStatus.SUCCEEDED and len(account.list_charges()) == 1
