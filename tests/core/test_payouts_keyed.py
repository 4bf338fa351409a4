"""Payouts are never paid twice and never guessed: a stable idempotency
key, recorded (and the funds reserved) before the processor is asked,
settled through retrieve_transfer, reversed once when the bank returns
them (issue 14, item 6)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from coreapp import WEBHOOK_SECRET
from moneycheck import account_of, state
from payproc_fake.webhooks import build_event

import payproc.flows._common
from payproc.db import TransferRow
from payproc.errors import InvalidInput, OutcomeUnknown
from payproc.types import EventType, ProcessorKeys

DEST = "acct_cowork"


@pytest.fixture
def funded(app):
    app.checkout("alice", 5000, "usd", "tok_visa", provider="cowork")
    app.set_processor_keys("cowork", ProcessorKeys(deposit_key=DEST))
    return app.balances()[("cowork", "Funds", "usd")]


def payouts_at_processor(app):
    return [p for p in account_of(app)._payouts.values() if p.destination == DEST]


def transfers(app):
    with app.db.transaction() as session:
        return session.query(TransferRow).order_by(TransferRow.id).all()


def test_the_same_key_pays_out_once(app, funded):
    first = app.create_transfer("cowork", 1000, "usd", "weekly", idempotency_key="week-12")
    again = app.create_transfer("cowork", 1000, "usd", "weekly", idempotency_key="week-12")
    assert again.processor_key == first.processor_key and first.idempotency_key == "week-12"
    assert len(payouts_at_processor(app)) == 1
    assert app.balances()[("cowork", "Withdraw", "usd")] == 1000
    assert [t.state for t in transfers(app)] == ["paid"]
    assert app.check_books().balanced


def test_a_key_reused_for_another_payout_is_refused_and_changes_nothing(app, funded):
    app.create_transfer("cowork", 1000, "usd", idempotency_key="week-12")
    before = state(app)
    with pytest.raises(InvalidInput, match="another payout"):
        app.create_transfer("cowork", 1200, "usd", idempotency_key="week-12")
    assert state(app) == before and len(payouts_at_processor(app)) == 1


def test_a_lost_answer_reserves_the_funds_and_a_retry_without_key_finds_the_payout(app, funded):
    account_of(app).fail_next("timeout", operation="create_payout")
    with pytest.raises(OutcomeUnknown):
        app.create_transfer("cowork", 1000, "usd")
    (row,) = transfers(app)
    assert (row.state, row.processor_key) == ("pending", None)
    assert app.balances()[("cowork", "Funds", "usd")] == funded - 1000  # reserved: no overdraw meanwhile
    with pytest.raises(InvalidInput, match="available"):
        app.create_transfer("cowork", funded - 999, "usd")
    record = app.create_transfer("cowork", 1000, "usd")  # the application retries
    assert record.status == "paid" and record.processor_key
    assert len(payouts_at_processor(app)) == 1
    assert app.balances()[("cowork", "Withdraw", "usd")] == 1000
    assert app.check_books().balanced


def test_settle_pays_or_fails_pending_payouts_by_asking(app, funded, monkeypatch):
    account = account_of(app)
    account.fail_next("timeout", operation="create_payout")
    with pytest.raises(OutcomeUnknown):
        app.create_transfer("cowork", 1000, "usd", idempotency_key="made")
    account.fail_next("unreachable", operation="create_payout")
    with pytest.raises(OutcomeUnknown):
        app.create_transfer("cowork", 700, "usd", idempotency_key="never")
    report = app.settle()
    assert [(t.idempotency_key, t.state) for t in report.transfers] == [("made", "paid")]
    (waiting,) = report.in_progress  # not at the processor yet: may still be on its way
    assert waiting.kind == "transfer" and waiting.until is not None
    real_now = payproc.flows._common.now
    monkeypatch.setattr(payproc.flows._common, "now", lambda: real_now() + timedelta(minutes=3))
    report = app.settle()
    assert [(t.idempotency_key, t.state) for t in report.transfers] == [("never", "failed")]
    balances = app.balances()
    assert balances[("cowork", "Withdraw", "usd")] == 1000
    assert balances[("cowork", "Funds", "usd")] == funded - 1000  # the 700 reserved came back
    assert len(payouts_at_processor(app)) == 1
    assert app.check_books().balanced


def test_a_payout_the_bank_returns_is_reversed_once(app, funded):
    record = app.create_transfer("cowork", 1000, "usd", idempotency_key="week-12")
    failed = []

    class Listener:
        from payproc import hookimpl

        @hookimpl
        def transfer_failed(self, provider, transfer):  # type: ignore[no-untyped-def]
            failed.append((provider.slug, transfer.processor_key))

    app.backend.pm.register(Listener())
    body, headers = account_of(app).fail_payout(record.processor_key, secret=WEBHOOK_SECRET)
    assert app.handle_webhook(body, headers).status == "applied"
    assert [t.state for t in transfers(app)] == ["failed"]
    balances = app.balances()
    assert balances[("cowork", "Funds", "usd")] == funded
    assert balances[("cowork", "Withdraw", "usd")] == 0
    before = state(app)
    assert app.handle_webhook(body, headers).status == "duplicate"
    again = build_event(EventType.TRANSFER_FAILED, None, secret=WEBHOOK_SECRET, transfer=record.processor_key)
    assert app.handle_webhook(*again).status == "applied"  # another delivery id: still reversed once
    assert state(app) == before
    assert failed == [("cowork", record.processor_key)]
    assert app.check_books().balanced


def test_a_payout_event_for_a_payout_payproc_never_made_changes_nothing(app, funded):
    before = state(app)
    body, headers = build_event(EventType.TRANSFER_PAID, None, secret=WEBHOOK_SECRET, transfer="po_fake_other")
    assert app.handle_webhook(body, headers).status == "ignored"
    assert state(app) == before


def _concurrent_same_key(app):
    with ThreadPoolExecutor(max_workers=4) as pool:
        records = list(pool.map(lambda _: app.create_transfer("cowork", 1000, "usd", idempotency_key="once"),
                                range(4)))
    assert len({r.processor_key for r in records}) == 1
    assert len(payouts_at_processor(app)) == 1
    assert app.balances()[("cowork", "Withdraw", "usd")] == 1000
    assert app.check_books().balanced


def test_concurrent_payouts_with_one_key_pay_once(app, funded):
    _concurrent_same_key(app)


@pytest.mark.postgres
def test_concurrent_payouts_with_one_key_pay_once_on_postgres(pg_app):
    pg_app.checkout("alice", 5000, "usd", "tok_visa", provider="cowork")
    pg_app.set_processor_keys("cowork", ProcessorKeys(deposit_key=DEST))
    _concurrent_same_key(pg_app)


def test_the_payout_webhook_settles_a_payout_whose_answer_was_lost(app, funded):
    account_of(app).fail_next("timeout", operation="create_payout")
    with pytest.raises(OutcomeUnknown):
        app.create_transfer("cowork", 1000, "usd", idempotency_key="lost")
    (made,) = payouts_at_processor(app)
    body, headers = build_event(EventType.TRANSFER_PAID, None, secret=WEBHOOK_SECRET, transfer=made.id)
    assert app.handle_webhook(body, headers).status == "applied"
    assert [(t.state, t.processor_key) for t in transfers(app)] == [("paid", made.id)]
    before = state(app)
    assert app.settle().changed == 0 and state(app) == before
    assert app.balances()[("cowork", "Withdraw", "usd")] == 1000
    assert app.check_books().balanced
