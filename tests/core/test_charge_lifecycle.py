"""The charge lifecycle around the customer: ``awaiting`` (context issued,
not attempted), ``requires_action``, ``expired``; money received wins over
a failure recorded earlier; ``remember_card`` is one processor charge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from coreapp import WEBHOOK_SECRET
from payproc import hookimpl
from payproc.app import Payproc
from payproc.db.models import ChargeRow, ChargeState, LedgerRow
from payproc.errors import CardDataRefused
from payproc.types import EventType
from payproc_fake import actions
from payproc_fake.webhooks import build_event
from sqlalchemy import func, select, update


class Recorder:
    """An observer plugin: the events the core broadcasts."""

    def __init__(self) -> None:
        self.reviews: list[tuple[int | str, str]] = []
        self.updates: list[tuple[str, str | None]] = []

    @hookimpl
    def charge_needs_review(self, charge, reason):  # type: ignore[no-untyped-def]
        self.reviews.append((charge.idempotency_key, reason))

    @hookimpl
    def charge_updated(self, charge, state, previous_state):  # type: ignore[no-untyped-def]
        self.updates.append((state, previous_state))


@pytest.fixture
def recorder(app: Payproc) -> Recorder:
    observer = Recorder()
    app.backend.pm.register(observer, name="observer:recorder")
    return observer


def ledger_rows(app: Payproc) -> int:
    with app.db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(LedgerRow)) or 0)


def later(app: Payproc, **settings: object) -> Payproc:
    """The same application restarted with other settings."""
    from payproc.settings import load_settings

    return Payproc(load_settings(DATABASE_URL=app.settings.DATABASE_URL,
                                 PROCESSOR=app.settings.PROCESSOR.model_dump(), **settings))


def test_a_context_is_awaiting_and_settle_leaves_it(app, account):
    prepared = app.payment_context("alice", 2000, "usd")
    assert app.settle().charges == []
    (charge,) = app.list_charges()
    assert (charge.state, charge.idempotency_key) == ("awaiting", prepared.idempotency_key)
    paid = app.checkout("alice", 2000, "usd", "tok_visa", idempotency_key=prepared.idempotency_key)
    assert paid.state == "done" and len(account.list_charges()) == 1


def test_a_failure_notice_for_an_awaiting_charge_leaves_it_payable(app):
    prepared = app.payment_context("alice", 2000, "usd")
    with app.db.transaction() as session:
        session.execute(update(ChargeRow).values(reference="order_1"))
    body, headers = build_event(EventType.CHARGE_FAILED, "order_1", secret=WEBHOOK_SECRET)
    assert app.handle_webhook(body, headers).status == "applied"
    assert app.list_charges()[0].state == "awaiting"
    assert app.checkout("alice", 2000, "usd", "tok_visa", idempotency_key=prepared.idempotency_key).state == "done"


def test_an_abandoned_context_expires_once_the_processor_cancelled_it(app, account):
    prepared = app.payment_context("alice", 2000, "usd")
    restarted = later(app, ABANDON_AFTER=timedelta(microseconds=1))
    (expired,) = restarted.settle().charges
    assert (expired.state, expired.failure_code) == ("expired", "abandoned")
    # The shopper's page posts the token afterwards: nothing is charged.
    again = restarted.checkout("alice", 2000, "usd", "tok_visa", idempotency_key=prepared.idempotency_key)
    assert again.state == "expired" and account.list_charges() == []
    assert ledger_rows(app) == 0


def test_a_success_after_a_failure_is_booked_and_flagged(app, account, recorder):
    charge = app.checkout("alice", 2000, "usd", "tok_visa")
    with app.db.transaction() as session:  # as the old settle() did: failed while paid at the processor
        session.execute(update(ChargeRow).where(ChargeRow.id == charge.id)
                        .values(state=ChargeState.FAILED, failure_code="not_found"))
        session.execute(LedgerRow.__table__.delete())
    body, headers = build_event(EventType.CHARGE_SUCCEEDED, charge.processor_key, secret=WEBHOOK_SECRET,
                                amount=2000, currency="usd")
    assert app.handle_webhook(body, headers).status == "applied"
    booked = app.get_charge(charge.id)
    assert (booked.state, booked.needs_review) == ("done", True)
    assert "after payproc recorded it failed" in booked.review_reason
    assert ledger_rows(app) > 0 and app.check_books().balanced
    assert [key for key, _reason in recorder.reviews] == [charge.idempotency_key]
    # Delivered again: booked once.
    rows = ledger_rows(app)
    app.handle_webhook(*build_event(EventType.CHARGE_SUCCEEDED, charge.processor_key, secret=WEBHOOK_SECRET))
    assert ledger_rows(app) == rows and len(recorder.reviews) == 1


def test_a_late_success_of_another_amount_is_flagged_not_booked(app, recorder):
    charge = app.checkout("alice", 2000, "usd", "tok_3ds")
    body, headers = build_event(EventType.CHARGE_SUCCEEDED, charge.processor_key, secret=WEBHOOK_SECRET,
                                amount=2100, currency="usd")
    app.handle_webhook(body, headers)
    flagged = app.get_charge(charge.id)
    assert (flagged.state, flagged.needs_review) == ("requires_action", True)
    assert ledger_rows(app) == 0


def test_requires_action_then_the_return_pays_once(app, account, recorder):
    prepared = app.payment_context("alice", 2000, "usd")
    charge = app.checkout("alice", 2000, "usd", "tok_3ds", idempotency_key=prepared.idempotency_key)
    assert charge.state == "requires_action" and charge.next_action["kind"] == "script"
    assert ("requires_action", "created") in recorder.updates
    challenge = charge.next_action["values"]["challenge"]
    done = app.complete(prepared.idempotency_key, {"challenge": challenge, "otp": actions.TEST_OTP})
    assert (done.state, done.next_action) == ("done", None)
    rows = ledger_rows(app)
    assert app.complete(charge.id, {"challenge": challenge, "otp": actions.TEST_OTP}).state == "done"
    assert ledger_rows(app) == rows and app.check_books().balanced
    assert account.requests.count("answer_challenge") == 1


def test_the_return_refuses_card_data_and_other_customers(app, account):
    charge = app.checkout("alice", 2000, "usd", "tok_3ds")
    with pytest.raises(CardDataRefused):
        app.complete(charge.idempotency_key, {"card_number": "4242424242424242"})
    app.add_profile("bob")
    with pytest.raises(LookupError):
        app.complete(charge.idempotency_key, {}, customer="bob")
    assert app.get_charge(charge.id).state == "requires_action"
    assert "answer_challenge" not in account.requests


def test_remember_card_is_one_charge_that_keeps_the_card(app, account):
    charge = app.checkout("alice", 2000, "usd", "tok_visa", remember_card=True)
    assert charge.state == "done"
    card_key = app.party("alice").keys.card_key
    assert card_key and [c["customer"] for c in account.list_charges()] == [card_key]


def test_remember_card_with_a_backend_that_cannot_keep_it_pays_once(app, account, monkeypatch, caplog):
    from payproc_fake.backend import FakeBackend

    monkeypatch.setattr(FakeBackend, "saves_card_with_payment", False)
    original = FakeBackend._charge

    def ignore_save_card(self, request, source):  # type: ignore[no-untyped-def]
        from dataclasses import replace

        result = original(self, request, source)
        return replace(result, card_key=None)  # a 1.0 backend: no card kept

    monkeypatch.setattr(FakeBackend, "_charge", ignore_save_card)
    charge = app.checkout("alice", 2000, "usd", "tok_visa", remember_card=True)
    assert charge.state == "done" and len(account.list_charges()) == 1
    assert app.party("alice").keys.card_key is None
    assert "cannot keep the card with a payment" in caplog.text


class NeedsCustomer:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    @hookimpl
    def renewal_needs_customer(self, customer, charge, next_action):  # type: ignore[no-untyped-def]
        self.calls.append((customer.slug, charge.idempotency_key, next_action.kind.value))


def test_a_renewal_that_needs_the_customer_is_not_a_decline(app, account):
    from datetime import date

    from payproc.renewals import run_renewals

    observer = NeedsCustomer()
    app.backend.pm.register(observer, name="observer:needs-customer")
    app.update_card("alice", "tok_visa_authRequired")
    app.set_renewal("alice", 1500, "usd", date(2024, 5, 31))
    summary = run_renewals(app, today=date(2024, 5, 31), progress=False)
    assert (summary.needs_customer, summary.declined, summary.charged) == (1, 0, 0)
    (charge,) = app.list_charges()
    assert charge.state == "requires_action" and charge.next_action["kind"] == "script"
    assert observer.calls == [("alice", charge.idempotency_key, "script")]
    assert app.party("alice") and ledger_rows(app) == 0
    # A second run does not charge again nor count an attempt.
    again = run_renewals(app, today=date(2024, 5, 31), progress=False)
    assert again.declined == 0 and len(app.list_charges()) == 1 and len(observer.calls) == 1
    # The customer comes back and authenticates: paid once.
    done = app.complete(charge.idempotency_key, {"challenge": charge.next_action["values"]["challenge"],
                                                 "otp": actions.TEST_OTP})
    assert done.state == "done" and ledger_rows(app) > 0 and app.check_books().balanced
    assert len(account.list_charges()) == 1
