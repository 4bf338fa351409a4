"""settle() reports what it changed and what it left in progress (and
until when); `payproc settle` prints it (issue 14, item 11). Minimum charge
amounts and negative shares are refused before anything is booked (item 8).
Reconciliation reports every difference with the processor and is never
"balanced" with one."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from coreapp import WEBHOOK_SECRET, make_app
from moneycheck import account_of, backend_module, state
from payproc_fake.backend import FakeBackend

import payproc.flows.checkout
from payproc import hookimpl
from payproc.cli import main
from payproc.errors import IntegrityMismatch, InvalidAmount, InvalidInput
from payproc.types import Distribution


class Crash(RuntimeError):
    pass


def _leased_charge(app, monkeypatch):
    """A charge whose worker died after the processor charged: it stays
    created under the worker's lease."""
    def crash(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise Crash("the worker died")

    monkeypatch.setattr(payproc.flows.checkout, "record_result", crash)
    with pytest.raises(Crash):
        app.checkout("alice", 2000, "usd", "tok_visa", idempotency_key="leased")
    monkeypatch.undo()


def test_settle_reports_charges_under_a_lease_and_when_they_can_be_settled(app, monkeypatch):
    _leased_charge(app, monkeypatch)
    before = state(app)
    report = app.settle()
    assert report.charges == [] and report.changed == 0
    (held,) = report.in_progress
    assert held.kind == "charge" and "worker" in held.reason
    assert held.until is not None and held.until > datetime.now(timezone.utc)
    summary = report.lines()[-1]
    assert "0 charge(s)" in summary and "1 still in progress" in summary
    assert f"run settle again after {held.until:%Y-%m-%d %H:%M:%S} UTC" in summary
    assert state(app) == before


def test_payproc_settle_prints_the_report(app, monkeypatch, capsys):
    _leased_charge(app, monkeypatch)
    monkeypatch.setattr("payproc.cli._settings", lambda args: app.settings)
    assert main(["settle"]) == 0
    out = capsys.readouterr().out
    assert "in progress: charge #1: a worker is waiting for the processor's answer (can be settled after" in out
    assert "held by a worker; run settle again after" in out


@pytest.mark.parametrize(("amount", "currency"), [(1, "usd"), (30, "usd"), (49, "eur"), (29, "gbp")])
def test_amounts_below_the_processors_minimum_are_refused_before_any_call(app, amount, currency):
    account = account_of(app)
    before, requests = state(app), list(account.requests)
    with pytest.raises(InvalidAmount, match="below the processor's minimum charge"):
        app.checkout("alice", amount, currency, "tok_visa")
    with pytest.raises(InvalidAmount, match="minimum"):
        app.payment_context("alice", amount, currency)
    assert state(app) == before and account.requests == requests
    assert app.check_books().balanced


def test_the_minimum_itself_is_charged_and_no_share_is_negative(app):
    charge = app.checkout("alice", 50, "usd", "tok_visa", provider="cowork")
    assert charge.state == "done"
    app.refund(charge.id, 30)  # leaves 20: the fee is capped at it
    balances = app.balances()
    assert balances[("cowork", "Funds", "usd")] == 0
    report = app.check_books()
    assert report.balanced, report.problems


class NegativeSplit(FakeBackend):
    @hookimpl
    def charge_distribution(self, charge, refunded, broker_fee_amount):  # type: ignore[no-untyped-def]
        left = charge.amount - refunded
        return Distribution(left - 60, charge.currency, 60, charge.currency, 0, charge.currency)


def test_a_backend_split_with_a_negative_share_is_never_booked(tmp_path):
    app = make_app(f"sqlite:///{tmp_path}/neg.sqlite3", BACKEND=backend_module("payproc_test_negative", NegativeSplit))
    before = state(app)[0]["LedgerRow"]
    with pytest.raises(IntegrityMismatch, match="negative share"):
        app.checkout("alice", 50, "usd", "tok_visa")
    assert state(app)[0]["LedgerRow"] == before
    report = app.check_books()
    assert report.balanced, report.problems


# --- reconciliation -----------------------------------------------------------------


def _period():
    now = datetime.now(timezone.utc)
    return now - timedelta(hours=1), now + timedelta(hours=1)


def test_books_that_agree_are_balanced(app):
    paid = app.checkout("alice", 2000, "usd", "tok_visa")
    app.refund(paid.id, 500)
    report = app.reconcile(*_period())
    assert report.balanced and report.compared == 1 and report.differences == []
    assert "agree with the processor" in report.lines()[-1]


def test_a_period_given_in_another_time_zone_is_the_same_period(app):
    """``--since 2024-05-01T10:00:00+02:00`` is 08:00 UTC: the charges
    compared and the times printed (labelled UTC) are those of the period,
    whatever offset it was written with (SQLite compared the wall-clock
    text and dropped the charge; the report printed 10:00 as UTC)."""
    app.checkout("alice", 2000, "usd", "tok_visa")
    since, until = _period()
    east = timezone(timedelta(hours=2))
    report = app.reconcile(since.astimezone(east), until.astimezone(timezone(timedelta(hours=-5))))
    assert report.compared == 1 and report.balanced
    assert f"from {since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M} UTC" in report.lines()[-1]


def test_every_difference_is_reported_and_nothing_changes(app):
    account = account_of(app)
    paid = app.checkout("alice", 2000, "usd", "tok_visa")
    account.refund_from_dashboard(paid.processor_key, 300, secret=WEBHOOK_SECRET)  # event never delivered
    stranger = app.backend.call("create_payment", request=_request(app, "elsewhere"), reference=None)
    before = state(app)
    report = app.reconcile(*_period())
    assert not report.balanced
    kinds = {(d.kind, d.charge_id, d.processor_key) for d in report.differences}
    assert ("refunded", paid.id, paid.processor_key) in kinds
    assert ("unknown_payment", None, stranger.processor_key) in kinds
    assert any("3.00 USD" in str(d) or "0.00 USD" in str(d) for d in report.differences)
    assert state(app) == before
    assert app.check_books().balanced  # the ledger balances; reconciliation is what says it is incomplete


def _request(app, key):
    from payproc.types import PaymentRequest

    party = app.party("alice")
    return PaymentRequest(amount=1500, currency="usd", customer=party, provider=party, broker=party,
                          idempotency_key=key, token="tok_visa")


def test_reconcile_refuses_a_bad_period_and_the_command_says_it_in_one_line(app, capsys, monkeypatch):
    since, until = _period()
    with pytest.raises(InvalidInput, match="before until"):
        app.reconcile(until, since)
    monkeypatch.setattr("payproc.cli._settings", lambda args: app.settings)
    assert main(["reconcile", "--since", "yesterday"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--since 'yesterday' is not a date" in err


def test_payproc_reconcile_exits_1_on_a_difference(app, capsys, monkeypatch):
    paid = app.checkout("alice", 2000, "usd", "tok_visa")
    account_of(app).refund_from_dashboard(paid.processor_key, 300, secret=WEBHOOK_SECRET)
    monkeypatch.setattr("payproc.cli._settings", lambda args: app.settings)
    assert main(["reconcile"]) == 1
    out = capsys.readouterr().out
    assert f"charge #{paid.id}: the processor refunded 3.00 USD, payproc booked 0.00 USD" in out
