"""Unknown outcomes retried with the same idempotency key (opt-in)."""

import logging

import pytest
from coreapp import make_app

from payproc.errors import CardError, OutcomeUnknown


@pytest.fixture
def retrying_app(tmp_path):
    app = make_app(f"sqlite:///{tmp_path}/r.sqlite3")
    app.settings = app.settings.model_copy(update={"RETRIES": app.settings.RETRIES.model_copy(
        update={"ATTEMPTS": 3, "INITIAL_WAIT": 0.001, "MAX_WAIT": 0.01})})
    yield app
    app.db.dispose()


def account_of(app):
    from payproc_fake import processor

    return processor.get_account(app.backend.settings.ACCOUNT)


def test_refused_then_503_then_success_makes_one_processor_charge(retrying_app, caplog):
    account = account_of(retrying_app)
    account.fail_next("unreachable", "unavailable")
    caplog.set_level(logging.WARNING)
    charge = retrying_app.checkout("alice", 2000, "usd", "tok_visa", idempotency_key="retry-1")
    assert charge.state == "done"
    assert len(account.list_charges("retry-1")) == 1
    assert caplog.text.count("retrying with the same idempotency key") == 2


def test_answer_lost_after_the_charge_is_retried_to_the_same_charge(retrying_app):
    account = account_of(retrying_app)
    charge = retrying_app.checkout("alice", 2000, "usd", "tok_timeout", idempotency_key="retry-2")
    assert charge.state == "done"
    assert len(account.list_charges("retry-2")) == 1


def test_retries_are_bounded(retrying_app):
    account = account_of(retrying_app)
    account.fail_next("unavailable", "unavailable", "unavailable", "unavailable")
    with pytest.raises(OutcomeUnknown):
        retrying_app.checkout("alice", 2000, "usd", "tok_visa", idempotency_key="retry-3")
    assert account.pending_faults() == ["unavailable"]  # three attempts, no more
    assert retrying_app.list_charges()[0].state == "created"


def test_a_decline_is_an_answer_not_retried(retrying_app):
    account = account_of(retrying_app)
    before = len(account.requests)
    with pytest.raises(CardError):
        retrying_app.checkout("alice", 2000, "usd", "tok_decline")
    assert len(account.requests) == before + 1


def test_refunds_retry_with_their_key(retrying_app):
    account = account_of(retrying_app)
    charge = retrying_app.checkout("alice", 2000, "usd", "tok_visa")
    account.fail_next("timeout", operation="refund")
    retrying_app.refund(charge.id, 700)
    assert account.retrieve_charge(charge.processor_key).amount_refunded == 700
    assert retrying_app.check_books().balanced
