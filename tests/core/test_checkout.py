"""Checkout, settle and the charge state machine, on the fake backend."""

import logging

import pytest
from sqlalchemy import func, select

from payproc.db import ChargeRow, LedgerRow, Profile
from payproc.errors import (
    CardDataRefused,
    CardError,
    IntegrityMismatch,
    InvalidAmount,
    InvalidInput,
    NoPaymentMethod,
    OutcomeUnknown,
    ProcessorError,
    ProcessorSetupError,
    UnknownCurrency,
)


def counts(app):
    with app.db.transaction() as session:
        return (session.scalar(select(func.count()).select_from(ChargeRow)),
                session.scalar(select(func.count()).select_from(LedgerRow)))


def test_checkout_with_a_token_records_a_done_charge_with_receipt_and_balanced_books(app, account):
    prepared = app.payment_context("alice", 2000, "usd", provider="cowork")
    assert prepared.values["FAKE_PUB_KEY"] == "pk_fake" and prepared.token_field == "stripeToken"
    charge = app.checkout("alice", 2000, "usd", "tok_visa", provider="cowork", idempotency_key=prepared.idempotency_key)
    assert charge.state == "done" and charge.last4 == "4242" and charge.card_name == "Joe Test"
    assert len(account.list_charges(prepared.idempotency_key)) == 1
    balances = app.balances()
    assert balances[("cowork", "Funds", "usd")] == 1912
    assert balances[("processor", "Funds", "usd")] == 88
    assert app.check_books().balanced
    assert counts(app) == (1, 4)  # charge, processor fee, receivable, distribution


def test_retry_with_the_same_key_never_charges_twice(app, account):
    first = app.checkout("alice", 2000, "usd", "tok_visa", idempotency_key="order-42")
    second = app.checkout("alice", 2000, "usd", "tok_visa", idempotency_key="order-42")
    assert first.id == second.id and second.state == "done"
    assert len(account.list_charges("order-42")) == 1


def test_same_key_for_another_amount_is_refused(app):
    app.checkout("alice", 2000, "usd", "tok_visa", idempotency_key="order-43")
    with pytest.raises(InvalidInput, match="another charge"):
        app.checkout("alice", 3000, "usd", "tok_visa", idempotency_key="order-43")


def test_declined_card_fails_the_charge_and_writes_no_ledger(app):
    with pytest.raises(CardError) as error:
        app.checkout("alice", 2000, "usd", "tok_decline")
    assert error.value.code == "card_declined" and error.value.charge_processor_key
    (charge,) = app.list_charges()
    assert charge.state == "failed" and charge.failure_code == "card_declined"
    assert counts(app) == (1, 0)


def test_declined_card_leaves_no_new_card_key(app):
    with pytest.raises(CardError):
        app.checkout("alice", 2000, "usd", "tok_visa_chargeDeclined", remember_card=True)
    assert app.party("alice").keys.card_key is None


def test_remember_card_then_charge_the_card_on_file(app, account):
    app.checkout("alice", 2000, "usd", "tok_visa", remember_card=True)
    key = app.party("alice").keys.card_key
    assert key and key.startswith("cus_")
    charge = app.checkout("alice", 1500, "usd")
    assert charge.state == "done"
    assert len(account.list_charges()) == 2


def test_no_token_and_no_card_gives_the_seed_error_with_the_name(app):
    with pytest.raises(NoPaymentMethod, match="Alice Martin is not associated to an account on the processor and no token was passed."):
        app.checkout("alice", 2000, "usd")
    assert counts(app) == (0, 0)


@pytest.mark.parametrize("amount", [20.0, True, 0, -5, float("nan"), 10**13, "2000"])
def test_bad_amounts_change_nothing(app, account, amount):
    with pytest.raises(InvalidAmount):
        app.checkout("alice", amount, "usd", "tok_visa")
    assert counts(app) == (0, 0) and account.list_charges() == []


@pytest.mark.parametrize("currency", ["usdd", "", "XAU", None])
def test_unknown_currency_changes_nothing(app, currency):
    with pytest.raises(UnknownCurrency):
        app.checkout("alice", 2000, currency, "tok_visa")
    assert counts(app) == (0, 0)


def test_card_numbers_are_refused_never_stored_nor_logged(app, account, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(CardDataRefused) as error:
        app.checkout("alice", 2000, "usd", "4242 4242 4242 4242")
    assert "4242" not in str(error.value)
    with pytest.raises(CardDataRefused):
        app.checkout("alice", 2000, "usd", "tok_visa", browser_fields={"cvc": "123"})
    assert counts(app) == (0, 0) and account.list_charges() == []
    assert "4242 4242" not in caplog.text and "4242424242424242" not in caplog.text


def test_timeout_after_the_charge_was_made_settles_to_done(app, account):
    with pytest.raises(OutcomeUnknown):
        app.checkout("alice", 2000, "usd", "tok_timeout", idempotency_key="order-t")
    (charge,) = app.list_charges()
    assert charge.state == "created" and charge.idempotency_key == "order-t"
    assert counts(app) == (1, 0)
    (settled,) = app.settle().charges
    assert settled.state == "done" and settled.processor_key
    assert len(account.list_charges("order-t")) == 1
    assert app.check_books().balanced


def test_unreachable_processor_settles_to_failed(app, account):
    with pytest.raises(OutcomeUnknown):
        app.checkout("alice", 2000, "usd", "tok_unreachable")
    (settled,) = app.settle().charges
    assert settled.state == "failed" and account.list_charges() == []


def test_an_answer_with_another_amount_is_never_marked_done(app, caplog):
    with pytest.raises(IntegrityMismatch):
        app.checkout("alice", 2000, "usd", "tok_mismatch")
    (charge,) = app.list_charges()
    assert charge.state == "created" and charge.failure_code == "integrity_mismatch"
    assert counts(app)[1] == 0
    assert "not marked done" in caplog.text


def test_setup_errors_and_processor_errors_fail_the_charge(app):
    with pytest.raises(ProcessorSetupError):
        app.checkout("alice", 2000, "usd", "tok_setup_error", provider="cowork")
    with pytest.raises(ProcessorError):
        app.checkout("alice", 2000, "usd", "tok_processor_error")
    assert [c.state for c in app.list_charges()] == ["failed", "failed"]
    assert counts(app)[1] == 0


def test_revoked_keys_are_cleared(app):
    from payproc.types import ProcessorKeys

    app.set_processor_keys("cowork", ProcessorKeys(deposit_key="acct_cowork", pub_key="pk_cowork"))
    with pytest.raises(ProcessorSetupError):
        app.checkout("alice", 2000, "usd", "tok_revoked", provider="cowork")
    keys = app.party("cowork").keys
    assert keys.deposit_key is None and keys.pub_key is None


def test_unknown_profile_is_refused(app):
    with pytest.raises(InvalidInput, match="no profile 'bob'"):
        app.checkout("bob", 2000, "usd", "tok_visa")


def test_zero_and_three_decimal_currencies(app):
    assert app.checkout("alice", 1500, "jpy", "tok_visa").amount == 1500
    assert app.checkout("alice", 1230, "kwd", "tok_visa").currency == "kwd"
    assert app.check_books().balanced


def test_card_update_delete_and_retrieve(app, account):
    card = app.update_card("alice", "tok_visa")
    assert card.last4 == "4242"
    assert app.retrieve_card("alice").last4 == "4242"
    with pytest.raises(CardError):
        app.update_card("alice", "tok_decline")
    key = app.party("alice").keys.card_key
    assert key is not None  # the old card stays
    app.delete_card("alice")
    assert app.party("alice").keys.card_key is None and app.retrieve_card("alice") is None
    with app.db.transaction() as session:
        assert session.scalar(select(Profile.processor_card_key).where(Profile.slug == "alice")) is None
