"""The card on file on v3: kept from a paid card transaction (its token),
charged with tokenized charges, once per idempotency key."""

from __future__ import annotations

import pytest
from payproc.errors import CardError, OutcomeUnknown, ProcessorError
from payproc.types import ChargeStatus, Party, ProcessorKeys
from payproc_flutterwave.refs import tx_ref_for
from payproc_flutterwave_tests_fakeserver import (
    DECLINED_CARD,
    SUCCESS_CARD,
    TOKENIZED,
    VERIFY,
    VERIFY_BY_REF,
    Fault,
)
from payproc_flutterwave_tests_helpers import OTHER, SUBSCRIBER, charge_ref, new_key, request


def store(backend, fake, *, card=SUCCESS_CARD, email="xia@example.com", subscriber=SUBSCRIBER):
    paid = fake.pay(f"payproc-cardcheck-{new_key()}", "50.00", "NGN", card=card, email=email)
    return backend.call("create_or_update_card", subscriber=subscriber, token=str(paid.id), provider=SUBSCRIBER,
                        broker=SUBSCRIBER), paid


def with_card(card_key, email="xia@example.com"):
    return Party(slug="xia", printable_name="Xia", email=email, keys=ProcessorKeys(card_key=card_key))


def test_the_card_token_of_a_paid_card_transaction_is_kept(backend, fake):
    update, paid = store(backend, fake)
    assert update.card_key == paid.token and update.card.last4 == "2950"
    assert update.card.brand == "MASTERCARD" and update.card.exp_date.isoformat() == "2032-09-01"


@pytest.mark.parametrize("token", ["", "flw-t1nf-made-up", "12 34", "-1"])
def test_anything_but_a_transaction_id_is_refused_before_calling(backend, fake, token):
    with pytest.raises(CardError, match="transaction"):
        backend.call("create_or_update_card", subscriber=SUBSCRIBER, token=token, provider=SUBSCRIBER,
                     broker=SUBSCRIBER)
    assert fake.calls == []


def test_a_declined_card_is_not_kept(backend, fake):
    with pytest.raises(CardError, match="Insufficient funds"):
        store(backend, fake, card=DECLINED_CARD)


def test_another_customers_card_is_not_kept(backend, fake):
    with pytest.raises(CardError, match="another customer"):
        store(backend, fake, subscriber=OTHER)


def test_a_card_is_not_kept_without_an_email_to_tie_it_to_the_subscriber(backend, fake):
    """A profile without an email would otherwise keep any customer's card
    from their transaction id; a transaction without one is no one's."""
    no_email = Party(slug="noemail", printable_name="No Email")
    with pytest.raises(CardError, match="has none"):
        store(backend, fake, subscriber=no_email)
    with pytest.raises(CardError, match="another customer"):
        store(backend, fake, email="")


def test_an_unknown_transaction_is_a_card_error(backend, fake):
    with pytest.raises(CardError, match="no transaction"):
        backend.call("create_or_update_card", subscriber=SUBSCRIBER, token="999", provider=SUBSCRIBER,
                     broker=SUBSCRIBER)


def test_renewal_charges_the_token_once(backend, fake):
    update, _ = store(backend, fake)
    key = new_key()
    result = backend.call("create_charge", request=request(150050, "ngn", key, None,
                                                           customer=with_card(update.card_key), off_session=True))
    assert result.status is ChargeStatus.SUCCEEDED and (result.amount, result.currency) == (150050, "ngn")
    [charged] = fake.by_ref(tx_ref_for(key))
    assert str(charged.id) == result.processor_key and charged.amount == 1500.5
    # the same key again (an application's retry): found, not charged twice
    again = backend.call("create_charge", request=request(150050, "ngn", key, None,
                                                          customer=with_card(update.card_key), off_session=True))
    assert again.processor_key == result.processor_key and len(fake.by_ref(tx_ref_for(key))) == 1


def test_a_lost_answer_then_retry_charges_once(backend, fake):
    update, _ = store(backend, fake)
    key = new_key()
    fake.add_fault(TOKENIZED, Fault(status=504, after=True))
    with pytest.raises(OutcomeUnknown):
        backend.call("create_charge", request=request(1000, "ngn", key, None, customer=with_card(update.card_key)))
    info = backend.call("retrieve_charge", charge=charge_ref(None, 1000, "ngn", key))
    assert info.status is ChargeStatus.SUCCEEDED
    result = backend.call("create_charge", request=request(1000, "ngn", key, None, customer=with_card(update.card_key)))
    assert result.processor_key == info.processor_key and len(fake.by_ref(tx_ref_for(key))) == 1


def test_a_success_is_verified_before_it_counts(backend, fake):
    update, _ = store(backend, fake)
    key = new_key()
    fake.add_fault(VERIFY, Fault(status=503, body={"status": "error", "message": "down"}))
    with pytest.raises(OutcomeUnknown):  # charged, but not verified: not booked as paid
        backend.call("create_charge", request=request(1000, "ngn", key, None, customer=with_card(update.card_key)))
    assert len(fake.by_ref(tx_ref_for(key))) == 1


def test_a_declined_renewal_is_a_card_error(backend, fake):
    update, _ = store(backend, fake)
    fake.declining_tokens.add(update.card_key)
    key = new_key()
    with pytest.raises(CardError, match="Insufficient funds") as caught:
        backend.call("create_charge", request=request(1000, "ngn", key, None, customer=with_card(update.card_key)))
    [failed] = fake.by_ref(tx_ref_for(key))
    assert caught.value.charge_processor_key == str(failed.id)


@pytest.mark.parametrize(("card_key", "email", "message"), [
    ("flw-t1nf-unknown-m03k", "xia@example.com", "Token not found"),
    (None, "xia@example.com", "Email does not match"),
])
def test_an_unusable_token_is_a_card_error(backend, fake, card_key, email, message):
    update, _ = store(backend, fake)
    customer = with_card(card_key or update.card_key, email if card_key else "someone@example.com")
    with pytest.raises(CardError, match=message):
        backend.call("create_charge", request=request(1000, "ngn", new_key(), None, customer=customer))


def test_no_email_or_no_card_is_refused_before_calling(backend, fake):
    for customer in (with_card("flw-t1nf-x-m03k", email=None), with_card(None)):
        with pytest.raises(ProcessorError):
            backend.call("create_charge", request=request(1000, "ngn", new_key(), None, customer=customer))
    assert fake.calls == []


def test_delete_card_asks_nothing_of_flutterwave(backend, fake):
    assert backend.call("delete_card", subscriber=SUBSCRIBER, broker=SUBSCRIBER) is None
    assert fake.calls == []


def test_a_duplicate_tx_ref_is_looked_up_not_declined(backend, fake):
    """The look-up before the charge missed a transaction that exists (it
    lagged): Flutterwave refuses the duplicate tx_ref, and the backend
    reports the existing charge instead of a decline or a second charge."""
    update, _ = store(backend, fake)
    key = new_key()
    first = backend.call("create_charge", request=request(1000, "ngn", key, None, customer=with_card(update.card_key)))
    fake.add_fault(VERIFY_BY_REF, Fault(status=400, body={"status": "error",
                                                          "message": "No transaction was found for this id",
                                                          "data": None}))
    again = backend.call("create_charge", request=request(1000, "ngn", key, None, customer=with_card(update.card_key)))
    assert again.processor_key == first.processor_key and len(fake.by_ref(tx_ref_for(key))) == 1


def test_a_refusal_that_is_not_about_the_card_is_not_a_decline(backend, fake):
    update, _ = store(backend, fake)
    fake.add_fault(TOKENIZED, Fault(status=400, body={"status": "error", "message": "narration is required",
                                                      "data": None}))
    with pytest.raises(ProcessorError, match="narration") as caught:
        backend.call("create_charge", request=request(1000, "ngn", new_key(), None, customer=with_card(update.card_key)))
    assert not isinstance(caught.value, CardError)
