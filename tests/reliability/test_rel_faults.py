"""Faults between the processor and our commit: a crash after the processor
charged, and a webhook whose database write fails. Money is never lost nor
doubled: a restart settles, a redelivery applies once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from payproc_fake.webhooks import build_event
from relsupport import WEBHOOK_SECRET, account_of, restart
from sqlalchemy import func, select
from starlette.testclient import TestClient

import payproc.flows._common
import payproc.flows.checkout
import payproc.flows.outcome
import payproc.flows.webhooks
from payproc.db import ChargeRow, DisputeRow, LedgerRow, WebhookEventRow
from payproc.flows.checkout import LEASE
from payproc.types import EventType
from payproc.web import create_app


class Crash(RuntimeError):
    """Stands for the process dying: nothing after it runs."""


def _crash_once(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[int]:
    real, calls = getattr(module, name), []

    def crashing(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            raise Crash(f"crash in {name}")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, crashing)
    return calls


def _later(monkeypatch: pytest.MonkeyPatch, delta: timedelta) -> None:
    """Move payproc's clock forward (the lease of a dead worker expires)."""
    real = payproc.flows._common.now
    monkeypatch.setattr(payproc.flows._common, "now", lambda: real() + delta)


def _count(app, model, *where) -> int:  # type: ignore[no-untyped-def]
    with app.db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_crash_after_the_processor_charged_is_settled_after_restart(rel_app, monkeypatch):
    account = account_of(rel_app)
    _crash_once(monkeypatch, payproc.flows.checkout, "record_result")
    with pytest.raises(Crash):
        rel_app.checkout("alice", 2000, "usd", "tok_visa", idempotency_key="crash-1")
    assert len(account.list_charges("crash-1")) == 1  # the processor did charge
    assert rel_app.list_charges()[0].state == "created"  # we never recorded it
    rel_app.db.dispose()

    app = restart(rel_app)
    # Right after the restart the dead worker's lease still holds the charge:
    # neither settle nor a retried checkout calls the processor again.
    assert app.settle().charges == []
    assert app.checkout("alice", 2000, "usd", "tok_visa", idempotency_key="crash-1").state == "created"
    _later(monkeypatch, LEASE + timedelta(seconds=1))
    settled = app.settle().charges
    assert [(c.idempotency_key, c.state) for c in settled] == [("crash-1", "done")]
    assert settled[0].processor_key == account.list_charges("crash-1")[0]["id"]
    assert len(account.list_charges("crash-1")) == 1
    assert account.requests.count("create_charge") == 1
    books = app.check_books()
    assert books.balanced, books.problems
    assert books.totals == {"usd": 0}
    assert _count(app, LedgerRow, LedgerRow.orig_account == "Liability") == 1
    app.db.dispose()


def test_crash_then_retried_checkout_with_the_same_key_makes_no_second_charge(rel_app, monkeypatch):
    account = account_of(rel_app)
    _crash_once(monkeypatch, payproc.flows.checkout, "record_result")
    with pytest.raises(Crash):
        rel_app.checkout("alice", 2000, "usd", "tok_visa", idempotency_key="crash-2")
    app = restart(rel_app)
    _later(monkeypatch, LEASE + timedelta(seconds=1))
    charge = app.checkout("alice", 2000, "usd", "tok_visa", idempotency_key="crash-2")
    assert charge.state == "done"
    assert len(account.list_charges("crash-2")) == 1  # the processor answered the first charge again
    assert app.settle().charges == []
    assert app.check_books().balanced
    app.db.dispose()


def test_crash_inside_the_commit_rolls_back_and_settles(rel_app, monkeypatch):
    """The crash hits inside the transaction that records the success (after
    the ledger rows were written): none of it is kept."""
    account = account_of(rel_app)
    _crash_once(monkeypatch, payproc.flows.outcome, "apply_pending_events")
    with pytest.raises(Crash):
        rel_app.checkout("alice", 2000, "usd", "tok_visa", idempotency_key="crash-3")
    assert _count(rel_app, LedgerRow) == 0
    assert rel_app.get_charge(rel_app.list_charges()[0].id).state == "created"
    app = restart(rel_app)
    _later(monkeypatch, LEASE + timedelta(seconds=1))
    assert [c.state for c in app.settle().charges] == ["done"]
    assert len(account.list_charges("crash-3")) == 1
    assert app.check_books().balanced
    app.db.dispose()


def _dispute(app, charge, event_id="evt_rel_dispute_1"):  # type: ignore[no-untyped-def]
    return build_event(EventType.DISPUTE_CREATED, charge.processor_key, secret=WEBHOOK_SECRET,
                       amount=charge.amount, currency=charge.currency, event_id=event_id)


def test_webhook_whose_database_write_fails_is_not_stored_and_applies_once_on_redelivery(rel_app, monkeypatch):
    charge = rel_app.checkout("alice", 2000, "usd", "tok_visa")
    body, headers = _dispute(rel_app, charge)
    calls = _crash_once(monkeypatch, payproc.flows.disputes, "apply_dispute_event")
    with pytest.raises(Crash):
        rel_app.handle_webhook(body, headers)
    assert _count(rel_app, WebhookEventRow) == 0
    assert _count(rel_app, DisputeRow) == 0
    assert rel_app.get_charge(charge.id).state == "done"
    assert rel_app.handle_webhook(body, headers).status == "applied"
    assert rel_app.handle_webhook(body, headers).status == "duplicate"
    assert len(calls) == 2
    assert rel_app.get_charge(charge.id).state == "disputed"
    assert _count(rel_app, LedgerRow, LedgerRow.dest_account == "Chargeback",
                  LedgerRow.orig_account == "Refunded") == 1
    assert rel_app.check_books().balanced


def test_webhook_write_failing_at_commit_is_not_stored(rel_app, monkeypatch):
    """The failure comes from the database itself, at flush time, after the
    event row and the dispute were added to the transaction."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    charge = rel_app.checkout("alice", 2000, "usd", "tok_visa")
    body, headers = _dispute(rel_app, charge, "evt_rel_dispute_2")
    failures: list[int] = []

    def fail_once(session, flush_context, instances):  # type: ignore[no-untyped-def]
        if not failures and any(isinstance(obj, DisputeRow) for obj in session.new):
            failures.append(1)
            raise Crash("disk full")

    event.listen(Session, "before_flush", fail_once)
    try:
        with pytest.raises(Crash):
            rel_app.handle_webhook(body, headers)
    finally:
        event.remove(Session, "before_flush", fail_once)
    assert failures == [1]
    assert _count(rel_app, WebhookEventRow) == 0
    assert rel_app.handle_webhook(body, headers).status == "applied"
    assert _count(rel_app, DisputeRow) == 1
    assert rel_app.check_books().balanced


def test_web_answers_5xx_when_the_webhook_is_not_stored_then_2xx_once(rel_app, monkeypatch):
    charge = rel_app.checkout("alice", 2000, "usd", "tok_visa")
    body, headers = _dispute(rel_app, charge, "evt_rel_dispute_3")
    _crash_once(monkeypatch, payproc.flows.disputes, "apply_dispute_event")
    client = TestClient(create_app(rel_app, page=False))
    first = client.post("/webhooks/fake", content=body, headers=headers)
    assert first.status_code >= 500
    assert first.json()["error"] == "webhook_not_stored"
    assert _count(rel_app, WebhookEventRow) == 0
    second = client.post("/webhooks/fake", content=body, headers=headers)
    assert second.status_code == 200 and second.json()["status"] == "applied"
    third = client.post("/webhooks/fake", content=body, headers=headers)
    assert third.status_code == 200 and third.json()["status"] == "duplicate"
    assert _count(rel_app, DisputeRow) == 1
    assert _count(rel_app, LedgerRow, LedgerRow.dest_account == "Chargeback",
                  LedgerRow.orig_account == "Refunded") == 1
    assert rel_app.check_books().balanced


def test_timeout_after_the_charge_stays_in_progress_until_settled(rel_app):
    account = account_of(rel_app)
    account.fail_next("timeout", operation="create_charge")
    from payproc.errors import OutcomeUnknown

    with pytest.raises(OutcomeUnknown):
        rel_app.checkout("alice", 2000, "usd", "tok_visa", idempotency_key="lost-answer")
    charge = rel_app.list_charges()[0]
    assert (charge.state, charge.idempotency_key, charge.lease_until) == ("created", "lost-answer", None)
    app = restart(rel_app)
    assert [c.state for c in app.settle().charges] == ["done"]
    assert len(account.list_charges("lost-answer")) == 1
    assert app.check_books().balanced
    app.db.dispose()


def test_answer_with_another_amount_is_never_marked_done(rel_app, caplog):
    from payproc.errors import IntegrityMismatch

    with pytest.raises(IntegrityMismatch):
        rel_app.checkout("alice", 2000, "usd", "tok_mismatch")
    charge = rel_app.list_charges()[0]
    assert (charge.state, charge.failure_code) == ("created", "integrity_mismatch")
    assert "not marked done" in caplog.text
    assert _count(rel_app, ChargeRow, ChargeRow.state == "done") == 0
    assert _count(rel_app, LedgerRow) == 0


def test_a_charge_needing_review_does_not_block_settling_the_others(rel_app):
    """settle() goes on past a charge it cannot settle now: the processor
    cannot be reached about it, or its answer does not match."""
    from payproc.errors import IntegrityMismatch, OutcomeUnknown

    account = account_of(rel_app)
    with pytest.raises(IntegrityMismatch):
        rel_app.checkout("alice", 2000, "usd", "tok_mismatch", idempotency_key="review-me")
    for key, amount in (("settle-b", 3000), ("settle-c", 4000)):
        with pytest.raises(OutcomeUnknown):
            rel_app.checkout("alice", amount, "usd", "tok_timeout", idempotency_key=key)
    account.fail_next("unreachable", operation="retrieve_charge")  # about the first charge
    settled = rel_app.settle().charges
    assert sorted(c.idempotency_key for c in settled) == ["settle-b", "settle-c"]
    assert rel_app.settle().charges == []  # the mismatch answers again: it stays for review
    review = next(c for c in rel_app.list_charges() if c.idempotency_key == "review-me")
    assert (review.state, review.failure_code) == ("created", "integrity_mismatch")
    assert rel_app.check_books().balanced
