"""Disputes by the processor's own figures: several per charge, inquiries
move no money, partial amounts and the processor's fee, and a defined effect
of won, lost and closed on the books (issue 14, item 5)."""

from __future__ import annotations

import pytest
from coreapp import WEBHOOK_SECRET
from moneycheck import account_of, state

from payproc.db import DisputeRow


@pytest.fixture
def paid(app):
    return app.checkout("alice", 2000, "usd", "tok_visa", provider="cowork")


def deliver(app, event):
    outcome = app.handle_webhook(*event)
    assert outcome.status == "applied", outcome
    return outcome


def disputes(app):
    with app.db.transaction() as session:
        return [(d.kind, d.state, d.amount, d.fee) for d in session.query(DisputeRow).order_by(DisputeRow.id)]


def test_a_partial_chargeback_takes_back_its_amount_and_the_processors_fee(app, paid):
    account = account_of(app)
    funds = app.balances()[("cowork", "Funds", "usd")]
    deliver(app, account.open_dispute(paid.processor_key, amount=800, fee=1000, secret=WEBHOOK_SECRET))
    assert app.get_charge(paid.id).state == "disputed"
    assert disputes(app) == [("chargeback", "open", 800, 1000)]
    balances = app.balances()
    assert balances[("cowork", "Chargeback", "usd")] == 800
    assert balances[("alice", "Refunded", "usd")] == -800
    assert balances[("cowork", "Funds", "usd")] < funds - 1000  # its share of the 800 and the fee
    assert app.check_books().balanced
    deliver(app, account.close_dispute(paid.processor_key, won=True, secret=WEBHOOK_SECRET))
    assert app.get_charge(paid.id).state == "done"
    assert disputes(app) == [("chargeback", "won", 800, 1000)]
    balances = app.balances()
    assert balances[("cowork", "Chargeback", "usd")] == 0
    assert balances[("cowork", "Funds", "usd")] == funds - 1000  # won: the amount back, the fee kept
    assert app.check_books().balanced


def test_a_pre_arbitration_after_a_won_chargeback_is_booked_then_lost(app, paid):
    account = account_of(app)
    deliver(app, account.open_dispute(paid.processor_key, secret=WEBHOOK_SECRET))
    deliver(app, account.close_dispute(paid.processor_key, won=True, secret=WEBHOOK_SECRET))
    assert app.get_charge(paid.id).state == "done"
    deliver(app, account.open_dispute(paid.processor_key, kind="pre_arbitration", secret=WEBHOOK_SECRET))
    assert app.get_charge(paid.id).state == "disputed"
    assert app.balances()[("cowork", "Chargeback", "usd")] == 2000
    deliver(app, account.close_dispute(paid.processor_key, won=False, secret=WEBHOOK_SECRET))
    assert app.get_charge(paid.id).state == "lost"
    assert disputes(app) == [("chargeback", "won", 2000, 1500), ("pre_arbitration", "lost", 2000, 1500)]
    assert app.balances()[("cowork", "Chargeback", "usd")] == 2000
    assert app.check_books().balanced


def test_an_inquiry_moves_no_money_and_closes_without_any(app, paid):
    account = account_of(app)
    before = state(app)
    deliver(app, account.open_dispute(paid.processor_key, kind="inquiry", secret=WEBHOOK_SECRET))
    counts, balances, charges = state(app)
    assert (balances, charges) == before[1:] and counts["LedgerRow"] == before[0]["LedgerRow"]
    assert app.get_charge(paid.id).state == "done"
    assert disputes(app) == [("inquiry", "open", 0, 0)]
    deliver(app, account.close_dispute(paid.processor_key, status="warning_closed", secret=WEBHOOK_SECRET))
    assert disputes(app) == [("inquiry", "closed", 0, 0)]
    assert state(app)[1:] == before[1:]
    assert app.refund(paid.id, 500).state == "done"  # still an ordinary paid charge


def test_a_prevented_chargeback_gives_back_what_was_taken(app, paid):
    account = account_of(app)
    funds = app.balances()[("cowork", "Funds", "usd")]
    deliver(app, account.open_dispute(paid.processor_key, fee=0, secret=WEBHOOK_SECRET))
    deliver(app, account.close_dispute(paid.processor_key, status="prevented", secret=WEBHOOK_SECRET))
    assert disputes(app) == [("chargeback", "closed", 2000, 0)]
    assert app.get_charge(paid.id).state == "done"
    assert app.balances()[("cowork", "Funds", "usd")] == funds
    assert app.check_books().balanced


def test_a_redelivered_dispute_event_books_nothing_twice(app, paid):
    event = account_of(app).open_dispute(paid.processor_key, amount=500, secret=WEBHOOK_SECRET)
    deliver(app, event)
    before = state(app)
    assert app.handle_webhook(*event).status == "duplicate"
    assert state(app) == before


def test_a_chargeback_after_a_partial_refund_takes_only_what_is_left(app, paid):
    app.refund(paid.id, 1500)
    deliver(app, account_of(app).open_dispute(paid.processor_key, secret=WEBHOOK_SECRET))
    assert disputes(app)[0][2] == 500
    assert app.balances()[("cowork", "Chargeback", "usd")] == 500
    assert app.check_books().balanced


def _two_disputes_at_once(app, paid):
    """A chargeback and an inquiry on one charge, each delivered twice, all
    four deliveries at once: each dispute is booked exactly once."""
    from concurrent.futures import ThreadPoolExecutor

    account = account_of(app)
    events = [account.open_dispute(paid.processor_key, amount=600, secret=WEBHOOK_SECRET),
              account.open_dispute(paid.processor_key, kind="inquiry", secret=WEBHOOK_SECRET)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = sorted(pool.map(lambda event: app.handle_webhook(*event).status, events * 2))
    assert outcomes == ["applied", "applied", "duplicate", "duplicate"]
    assert sorted(disputes(app)) == [("chargeback", "open", 600, 1500), ("inquiry", "open", 0, 0)]
    assert app.balances()[("cowork", "Chargeback", "usd")] == 600
    assert app.check_books().balanced


def test_two_disputes_delivered_at_once_are_each_booked_once(app, paid):
    _two_disputes_at_once(app, paid)


@pytest.mark.postgres
def test_two_disputes_delivered_at_once_are_each_booked_once_on_postgres(pg_app):
    _two_disputes_at_once(pg_app, pg_app.checkout("alice", 2000, "usd", "tok_visa", provider="cowork"))


def test_a_dispute_kept_before_its_charge_was_known_is_the_one_later_events_name(app):
    """dispute.created arrives while the checkout's answer is lost (kept,
    applied when settle records the charge, without the dispute's figures);
    dispute.won then names it: the same dispute, reverted once."""
    from payproc.errors import OutcomeUnknown

    account = account_of(app)
    with pytest.raises(OutcomeUnknown):
        app.checkout("alice", 2000, "usd", "tok_timeout", idempotency_key="early", provider="cowork")
    (made,) = account.list_charges("early")
    assert app.handle_webhook(*account.open_dispute(made["id"], secret=WEBHOOK_SECRET)).status == "pending"
    (charge,) = app.settle().charges
    assert charge.state == "disputed"
    deliver(app, account.close_dispute(made["id"], won=True, secret=WEBHOOK_SECRET))
    assert disputes(app) == [("chargeback", "won", 2000, 1500)]
    assert app.get_charge(charge.id).state == "done"
    assert app.balances()[("cowork", "Chargeback", "usd")] == 0
    assert app.check_books().balanced


def test_an_inquiry_kept_before_its_charge_was_known_still_moves_no_money(app):
    """An event kept until its charge is known is applied with what the
    processor said: an inquiry stays an inquiry (no chargeback booked), and
    its dispute id is the one later events name."""
    from payproc.errors import OutcomeUnknown

    account = account_of(app)
    with pytest.raises(OutcomeUnknown):
        app.checkout("alice", 2000, "usd", "tok_timeout", idempotency_key="early-inquiry", provider="cowork")
    (made,) = account.list_charges("early-inquiry")
    inquiry = account.open_dispute(made["id"], kind="inquiry", secret=WEBHOOK_SECRET)
    assert app.handle_webhook(*inquiry).status == "pending"
    (charge,) = app.settle().charges
    assert charge.state == "done"
    assert disputes(app) == [("inquiry", "open", 0, 0)]
    assert ("cowork", "Chargeback", "usd") not in app.balances()
    deliver(app, account.close_dispute(made["id"], status="warning_closed", secret=WEBHOOK_SECRET))
    assert disputes(app) == [("inquiry", "closed", 0, 0)]
    assert app.check_books().balanced
