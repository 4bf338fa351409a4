"""Refunds whose answer was lost are settled by asking the processor, by
settle(), a retry with the same key or the processor's webhook — and booked
exactly once (issue 14, items 1 and 2)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from coreapp import WEBHOOK_SECRET, make_app
from moneycheck import account_of, backend_module, counts, processor_refunded, state
from payproc_fake.backend import FakeBackend
from payproc_fake.webhooks import build_event

import payproc.flows._common
from payproc import hookimpl
from payproc.db import RefundRow
from payproc.errors import InvalidAmount, InvalidInput, OutcomeUnknown
from payproc.types import EventType


@pytest.fixture
def paid(app):
    return app.checkout("alice", 2000, "usd", "tok_visa", provider="cowork")


def _lost(app, paid, fault, key="k"):
    account_of(app).fail_next(fault, operation="refund")
    with pytest.raises(OutcomeUnknown):
        app.refund(paid.id, 500, idempotency_key=key)
    (row,) = [r for r in _refunds(app) if r.idempotency_key == key]
    assert row.state == "pending"
    return row


def _refunds(app):
    with app.db.transaction() as session:
        return session.query(RefundRow).order_by(RefundRow.id).all()


def test_a_refund_the_processor_made_while_the_answer_was_lost_is_settled_done(app, paid):
    _lost(app, paid, "timeout")
    report = app.settle()
    assert [(r.amount, r.state) for r in report.refunds] == [(500, "done")]
    assert report.charges == [] and report.in_progress == []
    assert app.get_charge(paid.id).amount_refunded == 500 == processor_refunded(app, paid)
    assert app.check_books().balanced
    before = state(app)
    assert app.settle().changed == 0
    assert state(app) == before
    app.refund(paid.id)  # the 1500 left
    assert app.get_charge(paid.id).amount_refunded == 2000 == processor_refunded(app, paid)


def test_a_refund_that_never_arrived_is_settled_failed_and_blocks_nothing(app, paid):
    _lost(app, paid, "unreachable")
    rows = counts(app)["LedgerRow"]
    report = app.settle()
    assert [(r.state, r.failure_code) for r in report.refunds] == [("failed", "not_found")]
    assert counts(app)["LedgerRow"] == rows
    full = app.refund(paid.id)  # all 2000 are refundable again
    assert (full.amount, full.state) == (2000, "done")
    assert app.get_charge(paid.id).amount_refunded == 2000 == processor_refunded(app, paid)
    assert app.check_books().balanced


@pytest.mark.parametrize("fault", ["timeout", "unreachable"])
def test_a_retry_with_the_same_key_asks_the_processor_and_refunds_once(app, paid, fault):
    account = account_of(app)
    _lost(app, paid, fault)
    asked = account.requests.count("retrieve_refund")
    again = app.refund(paid.id, 500, idempotency_key="k")
    assert account.requests.count("retrieve_refund") == asked + 1
    assert (again.amount, again.state) == (500, "done")
    assert app.get_charge(paid.id).amount_refunded == 500 == processor_refunded(app, paid)
    assert len(_refunds(app)) == 1 and app.check_books().balanced
    assert app.refund(paid.id, 500, idempotency_key="k").id == again.id  # done: answered from the books
    assert processor_refunded(app, paid) == 500


def test_a_key_reused_for_another_refund_is_refused_and_changes_nothing(app, paid):
    app.refund(paid.id, 500, idempotency_key="k")
    before = state(app)
    with pytest.raises(InvalidInput, match="another refund"):
        app.refund(paid.id, 600, idempotency_key="k")
    assert state(app) == before and processor_refunded(app, paid) == 500


def test_the_refund_webhook_books_a_refund_whose_answer_was_lost_exactly_once(app, paid):
    account = account_of(app)
    _lost(app, paid, "timeout")
    (made,) = account.list_charges()[0]["refunds"]
    body, headers = build_event(EventType.CHARGE_REFUNDED, paid.processor_key, secret=WEBHOOK_SECRET,
                                amount=500, currency="usd", refund=made["id"])
    assert app.handle_webhook(body, headers).status == "applied"
    (row,) = _refunds(app)
    assert (row.state, row.processor_key) == ("done", made["id"])
    assert app.get_charge(paid.id).amount_refunded == 500 == processor_refunded(app, paid)
    before = state(app)
    assert app.handle_webhook(body, headers).status == "duplicate"
    assert app.settle().changed == 0
    assert state(app) == before and app.check_books().balanced


def test_a_dashboard_refund_next_to_a_lost_one_is_booked_separately(app, paid):
    account = account_of(app)
    _lost(app, paid, "timeout")
    body, headers = account.refund_from_dashboard(paid.processor_key, 300, secret=WEBHOOK_SECRET)
    assert app.handle_webhook(body, headers).status == "applied"
    assert sorted((r.amount, r.state) for r in _refunds(app)) == [(300, "done"), (500, "done")]
    assert app.get_charge(paid.id).amount_refunded == 800 == processor_refunded(app, paid)
    assert app.check_books().balanced


def test_settle_leaves_a_refund_whose_request_may_still_be_on_its_way(app, paid, monkeypatch):
    """A refund recorded pending but never released by its sender (the
    process died during the call) waits for the grace, then is settled."""
    from payproc.flows import refunds

    def die(*args, **kwargs):  # the process dies while the request is out
        raise SystemExit("the process died")

    monkeypatch.setattr(refunds, "call_with_retries", die)
    with pytest.raises(SystemExit):
        app.refund(paid.id, 500, idempotency_key="k")
    monkeypatch.undo()
    report = app.settle()
    assert report.refunds == [] and [i.kind for i in report.in_progress] == ["refund"]
    assert report.in_progress[0].until is not None
    real_now = payproc.flows._common.now
    monkeypatch.setattr(payproc.flows._common, "now", lambda: real_now() + timedelta(minutes=3))
    assert [r.state for r in app.settle().refunds] == ["failed"]  # it never reached the processor


class RefusesOddRefunds(FakeBackend):
    """Refuses, before sending anything, refunds the processor could not take
    (as Stripe refuses KWD amounts that are not multiples of 10)."""

    @hookimpl
    def refund_charge(self, charge, amount, broker_amount, idempotency_key):  # type: ignore[no-untyped-def]
        if amount % 10:
            raise InvalidAmount(f"refunds in {charge.currency} must be multiples of 10")
        return super().refund_charge(charge, amount, broker_amount, idempotency_key)


def test_a_refund_refused_before_sending_leaves_nothing_pending(tmp_path):
    app = make_app(f"sqlite:///{tmp_path}/odd.sqlite3",
                   BACKEND=backend_module("payproc_test_odd_refunds", RefusesOddRefunds))
    paid = app.checkout("alice", 2000, "usd", "tok_visa")
    before = state(app)
    with pytest.raises(InvalidAmount, match="multiples of 10"):
        app.refund(paid.id, 15, idempotency_key="odd")
    assert state(app) == before  # no pending row: nothing blocks the charge
    assert app.refund(paid.id).amount == 2000
    assert app.check_books().balanced


class CannotLookUpRefunds(FakeBackend):
    retrieve_refund = None  # type: ignore[assignment]
    unsupported = {"retrieve_refund": "the processor's API has no refund look-up"}


def test_without_retrieve_refund_settle_says_so_instead_of_guessing(tmp_path):
    app = make_app(f"sqlite:///{tmp_path}/nolookup.sqlite3",
                   BACKEND=backend_module("payproc_test_no_refund_lookup", CannotLookUpRefunds))
    paid = app.checkout("alice", 2000, "usd", "tok_visa")
    _lost(app, paid, "timeout")
    before = state(app)
    report = app.settle()
    assert report.refunds == []
    (left,) = report.in_progress
    assert left.kind == "refund" and "no retrieve_refund" in left.reason and "no refund look-up" in left.reason
    assert state(app) == before
    assert any("still in progress" in line for line in report.lines())


def _settle_and_retry_at_once(app, paid):
    _lost(app, paid, "timeout")
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = [pool.submit(app.settle), pool.submit(app.refund, paid.id, 500, idempotency_key="k"),
                   pool.submit(app.settle)]
        for future in futures:
            future.result()
    assert [(r.amount, r.state) for r in _refunds(app)] == [(500, "done")]
    assert app.get_charge(paid.id).amount_refunded == 500 == processor_refunded(app, paid)
    books = app.check_books()
    assert books.balanced, books.problems


def test_settle_and_a_retry_at_once_book_the_refund_once(app, paid):
    _settle_and_retry_at_once(app, paid)


@pytest.mark.postgres
def test_settle_and_a_retry_at_once_book_the_refund_once_on_postgres(pg_app):
    paid = pg_app.checkout("alice", 2000, "usd", "tok_visa", provider="cowork")
    _settle_and_retry_at_once(pg_app, paid)
