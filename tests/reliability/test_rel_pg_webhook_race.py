"""A webhook that arrives while the synchronous checkout is still between
the processor's answer and its commit, on PostgreSQL with real concurrent
connections: one charge, and a final state that includes the webhook."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from payproc_fake.webhooks import build_event
from relsupport import WEBHOOK_SECRET, account_of
from sqlalchemy import func, select

import payproc.flows.checkout
from payproc.db import ChargeRow, DisputeRow, LedgerRow, WebhookEventRow
from payproc.types import EventType

pytestmark = pytest.mark.postgres


def _hold_after_the_processor(monkeypatch):  # type: ignore[no-untyped-def]
    """The checkout stops right after the processor charged, until released."""
    charged, release = threading.Event(), threading.Event()
    real = payproc.flows.checkout.call_with_retries

    def held(*args, **kwargs):  # type: ignore[no-untyped-def]
        result = real(*args, **kwargs)
        charged.set()
        assert release.wait(20), "the test never released the checkout"
        return result

    monkeypatch.setattr(payproc.flows.checkout, "call_with_retries", held)
    return charged, release


def _count(app, model, *where) -> int:  # type: ignore[no-untyped-def]
    with app.db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


@pytest.mark.parametrize("event_type", [EventType.CHARGE_SUCCEEDED, EventType.DISPUTE_CREATED])
def test_webhook_before_the_checkout_commits(rel_pg_app, monkeypatch, event_type):
    app, account = rel_pg_app, account_of(rel_pg_app)
    charged, release = _hold_after_the_processor(monkeypatch)
    with ThreadPoolExecutor(max_workers=1) as pool:
        checkout = pool.submit(app.checkout, "alice", 2000, "usd", "tok_visa", idempotency_key="race-1")
        assert charged.wait(20)
        made = account.list_charges("race-1")
        assert len(made) == 1
        body, headers = build_event(event_type, made[0]["id"], secret=WEBHOOK_SECRET, amount=2000,
                                    currency="usd", event_id=f"evt_race_{event_type.value}")
        assert app.handle_webhook(body, headers).status == "pending"  # the charge is not committed yet
        release.set()
        charge = checkout.result(timeout=30)
    assert charge.processor_key == made[0]["id"]
    expected = "disputed" if event_type == EventType.DISPUTE_CREATED else "done"
    assert app.get_charge(charge.id).state == expected
    assert app.handle_webhook(body, headers).status == "duplicate"
    assert len(account.list_charges("race-1")) == 1
    assert _count(app, ChargeRow) == 1
    assert _count(app, WebhookEventRow, WebhookEventRow.applied.is_(False)) == 0
    assert _count(app, LedgerRow, LedgerRow.orig_account == "Liability") == 1
    assert _count(app, DisputeRow) == (1 if expected == "disputed" else 0)
    books = app.check_books()
    assert books.balanced, books.problems


def test_webhook_and_commit_at_the_same_moment(rel_pg_app, monkeypatch):
    """The webhook and the checkout's commit are released together, many
    times: whichever takes the charge's lock first, the event is applied once
    and the charge is recorded once."""
    app, account = rel_pg_app, account_of(rel_pg_app)
    for round_ in range(8):
        charged, release = _hold_after_the_processor(monkeypatch)
        key = f"race-same-{round_}"
        with ThreadPoolExecutor(max_workers=2) as pool:
            checkout = pool.submit(app.checkout, "alice", 1000 + round_, "usd", "tok_visa", idempotency_key=key)
            assert charged.wait(20)
            made = account.list_charges(key)
            body, headers = build_event(EventType.DISPUTE_CREATED, made[0]["id"], secret=WEBHOOK_SECRET,
                                        amount=1000 + round_, currency="usd", event_id=f"evt_same_{round_}")
            start = threading.Barrier(2)

            def deliver(start, body, headers):  # type: ignore[no-untyped-def]
                start.wait()
                return app.handle_webhook(body, headers).status

            webhook = pool.submit(deliver, start, body, headers)
            start.wait()
            release.set()
            charge = checkout.result(timeout=30)
            assert webhook.result(timeout=30) in ("pending", "applied")
        assert app.get_charge(charge.id).state == "disputed"
        assert len(account.list_charges(key)) == 1
        monkeypatch.undo()
    assert _count(app, WebhookEventRow, WebhookEventRow.applied.is_(False)) == 0
    assert _count(app, DisputeRow) == 8
    books = app.check_books()
    assert books.balanced, books.problems
