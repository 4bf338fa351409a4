"""What shoppers do to one purchase, at the Python API: retry after a lost
answer with other options, come back through the return URL before paying,
pay after ``settle`` ran or after ``ABANDON_AFTER``. Each case counts the
charges at the processor (the fake's backdoor) and checks the books."""

from __future__ import annotations

from datetime import timedelta

import pytest
from coreapp import WEBHOOK_SECRET
from payproc.app import Payproc
from payproc.db.models import ChargeRow, ChargeState, LedgerRow
from payproc.errors import OutcomeUnknown
from payproc.flows import actions as flow_actions
from payproc.types import EventType
from payproc_fake import actions
from payproc_fake.webhooks import build_event
from sqlalchemy import update


def later(app: Payproc, **settings: object) -> Payproc:
    """The same application restarted with other settings."""
    from payproc.settings import load_settings

    return Payproc(load_settings(DATABASE_URL=app.settings.DATABASE_URL,
                                 PROCESSOR=app.settings.PROCESSOR.model_dump(), **settings))


def succeeded(account) -> list[dict]:  # type: ignore[no-untyped-def]
    return [c for c in account.list_charges() if c["status"] == "succeeded"]


@pytest.mark.parametrize("first, second", [(False, True), (True, False)])
def test_a_retry_after_a_lost_answer_with_remember_card_toggled_pays_once(app, account, first, second):
    """The first attempt was carried out but its answer lost; the shopper
    pays again with the same key, ticking or unticking "remember my card".
    The processor refuses a key reused with other parameters: that refusal
    must not mark failed a purchase the processor charged."""
    prepared = app.payment_context("alice", 2000, "usd")
    key = prepared.idempotency_key
    account.fail_next("timeout", operation="create_charge")
    with pytest.raises(OutcomeUnknown):
        app.checkout("alice", 2000, "usd", "tok_visa", idempotency_key=key, remember_card=first)
    again = app.checkout("alice", 2000, "usd", "tok_visa", idempotency_key=key, remember_card=second)
    assert again.state == "done"
    assert len(account.list_charges(idempotency_key=key)) == 1 and len(succeeded(account)) == 1
    (charge,) = app.list_charges()
    assert (charge.state, charge.processor_key) == ("done", account.list_charges()[0]["id"])
    assert app.check_books().balanced and app.balances()


def test_a_retry_after_an_unreachable_processor_with_remember_card_pays_once_and_keeps_the_card(app, account):
    prepared = app.payment_context("alice", 2000, "usd")
    key = prepared.idempotency_key
    account.fail_next("unreachable", operation="create_charge")
    with pytest.raises(OutcomeUnknown):
        app.checkout("alice", 2000, "usd", "tok_visa", idempotency_key=key)
    again = app.checkout("alice", 2000, "usd", "tok_visa", idempotency_key=key, remember_card=True)
    assert again.state == "done" and len(account.list_charges()) == 1
    assert app.party("alice").keys.card_key == account.list_charges()[0]["customer"]
    assert app.check_books().balanced


def test_the_return_url_opened_before_paying_leaves_the_purchase_payable(app, account):
    """A shopper opens ``return/<key>`` (twice) before paying — a bookmark,
    a second tab, the Back button from a hosted page: nothing was attempted
    at the processor, so the purchase stays ``awaiting`` and is paid once."""
    prepared = app.payment_context("alice", 2000, "usd")
    key = prepared.idempotency_key
    for _ in range(2):
        try:
            app.complete(key, {})
        except Exception:  # noqa: BLE001 - what the return endpoint logs; the state is the point
            pass
        assert flow_actions.poll(app, key).state == "awaiting"
    assert app.settle().charges == [] and app.list_charges()[0].state == "awaiting"
    paid = app.checkout("alice", 2000, "usd", "tok_visa", idempotency_key=key)
    assert paid.state == "done" and len(account.list_charges()) == 1
    assert app.check_books().balanced


def test_the_return_url_after_the_webhook_completed_the_purchase_books_once(app, account):
    prepared = app.payment_context("alice", 2000, "usd")
    key = prepared.idempotency_key
    charge = app.checkout("alice", 2000, "usd", "tok_3ds_redirect", idempotency_key=key, return_url="https://x/r")
    challenge = charge.next_action["values"]["challenge"]
    actions.answer_challenge(account, challenge, actions.TEST_OTP)  # on the processor's page
    body, headers = build_event(EventType.CHARGE_SUCCEEDED, charge.processor_key, secret=WEBHOOK_SECRET,
                                amount=2000, currency="usd")
    app.handle_webhook(body, headers)
    assert app.get_charge(charge.id).state == "done"
    rows = app.check_books()
    for _ in range(2):  # the customer's return, twice
        assert app.complete(key, {"challenge": challenge, "otp": actions.TEST_OTP}).state == "done"
    assert app.check_books() == rows and rows.balanced
    assert len(account.list_charges()) == 1


def test_a_shopper_who_pays_after_settle_ran_is_charged_once(app, account):
    prepared = app.payment_context("alice", 2000, "usd")
    assert app.settle().charges == []
    paid = app.checkout("alice", 2000, "usd", "tok_visa", idempotency_key=prepared.idempotency_key)
    assert paid.state == "done" and len(account.list_charges()) == 1
    assert app.settle().charges == [] and app.check_books().balanced


def test_a_challenge_answered_at_the_processor_is_booked_by_settle_after_abandon_after(app, account):
    """The shopper answered the 3-D Secure challenge on the processor's
    page, but neither the return nor a webhook reached payproc; settle runs
    after ``ABANDON_AFTER``: it asks the processor first, so the payment is
    booked (once), never expired."""
    prepared = app.payment_context("alice", 2000, "usd")
    charge = app.checkout("alice", 2000, "usd", "tok_3ds", idempotency_key=prepared.idempotency_key)
    actions.answer_challenge(account, charge.next_action["values"]["challenge"], actions.TEST_OTP)
    restarted = later(app, ABANDON_AFTER=timedelta(microseconds=1))
    (booked,) = restarted.settle().charges
    assert (booked.state, booked.needs_review) == ("done", False)
    assert restarted.settle().charges == [] and "cancel_payment" not in account.requests
    assert len(succeeded(account)) == 1 and restarted.check_books().balanced and restarted.balances()


def test_a_challenge_answered_after_settle_expired_it_charges_nothing(app, account):
    prepared = app.payment_context("alice", 2000, "usd")
    key = prepared.idempotency_key
    charge = app.checkout("alice", 2000, "usd", "tok_3ds", idempotency_key=key)
    restarted = later(app, ABANDON_AFTER=timedelta(microseconds=1))
    (expired,) = restarted.settle().charges
    assert expired.state == "expired"
    # The shopper's tab was still open: the challenge is answered late.
    challenge = charge.next_action["values"]["challenge"]
    late = restarted.complete(key, {"challenge": challenge, "otp": actions.TEST_OTP})
    assert late.state == "expired" and restarted.get_charge(charge.id).state == "expired"
    assert succeeded(account) == [] and restarted.balances() == {} and restarted.check_books().balanced


def test_an_expired_charge_the_processor_paid_anyway_is_booked_and_flagged(app, account):
    """payproc expired the charge while the processor took the money (a
    race with the customer): the processor's notice is booked once and the
    charge flagged for review, never lost."""
    charge = app.checkout("alice", 2000, "usd", "tok_visa")
    with app.db.transaction() as session:  # as a lost race with cancel_payment would leave it
        session.execute(update(ChargeRow).where(ChargeRow.id == charge.id)
                        .values(state=ChargeState.EXPIRED, failure_code="abandoned"))
        session.execute(LedgerRow.__table__.delete())
    body, headers = build_event(EventType.CHARGE_SUCCEEDED, charge.processor_key, secret=WEBHOOK_SECRET,
                                amount=2000, currency="usd")
    app.handle_webhook(body, headers)
    booked = app.get_charge(charge.id)
    assert (booked.state, booked.needs_review) == ("done", True)
    assert "after payproc recorded it expired" in booked.review_reason
    books = app.check_books()
    assert books.balanced and app.balances()
    app.handle_webhook(body, headers)  # delivered again
    assert app.check_books() == books and len(succeeded(account)) == 1
