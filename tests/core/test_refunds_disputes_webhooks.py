"""Refunds, disputes and webhook intake."""

import time

import pytest
from coreapp import WEBHOOK_SECRET
from payproc.db import LedgerRow, WebhookEventRow
from payproc.errors import (
    InsufficientFunds,
    CardError,
    InvalidAmount,
    InvalidStateTransition,
    OutcomeUnknown,
    RefundExceedsRemaining,
    WebhookVerificationError,
)
from payproc.money import format_money
from payproc.types import EventType
from payproc_fake.webhooks import build_event
from sqlalchemy import func, select


def ledger_rows(app):
    with app.db.transaction() as session:
        return session.scalar(select(func.count()).select_from(LedgerRow))


@pytest.fixture
def paid(app):
    return app.checkout("alice", 2000, "usd", "tok_visa", provider="cowork")


def test_partial_then_full_refund(app, paid):
    app.refund(paid.id, 500)
    assert app.get_charge(paid.id).amount_refunded == 500 and app.check_books().balanced
    app.refund(paid.id)
    charge = app.get_charge(paid.id)
    assert charge.amount_refunded == 2000 and charge.amount_left == 0
    assert app.check_books().balanced
    assert app.balances()[("cowork", "Funds", "usd")] == 0


def test_refund_above_what_is_left_is_refused_before_the_processor(app, paid, account):
    app.refund(paid.id, 1500)
    rows = ledger_rows(app)
    with pytest.raises(RefundExceedsRemaining) as error:
        app.refund(paid.id, 501)
    assert str(error.value) == f"cannot refund 5.01 USD of charge {paid.id}: only 5.00 USD is left"
    assert (error.value.charge_id, error.value.amount, error.value.remaining, error.value.currency) == (
        paid.id, 501, 500, "usd")
    assert ledger_rows(app) == rows
    assert account.retrieve_charge(paid.processor_key).amount_refunded == 1500


@pytest.mark.parametrize("amount", [0, -1, 1.5, True])
def test_bad_refund_amounts(app, paid, amount):
    with pytest.raises(InvalidAmount):
        app.refund(paid.id, amount)


def test_refund_of_a_failed_charge_is_refused(app):
    with pytest.raises(CardError):
        app.checkout("alice", 2000, "usd", "tok_decline")
    (charge,) = app.list_charges()
    with pytest.raises(InvalidStateTransition):
        app.refund(charge.id, 100)


def event(kind, charge, **kw):
    return build_event(kind, charge.processor_key, secret=WEBHOOK_SECRET, **kw)


def test_dispute_lifecycle_applied_once(app, paid):
    body, headers = event(EventType.DISPUTE_CREATED, paid)
    assert app.handle_webhook(body, headers).status == "applied"
    assert app.handle_webhook(body, headers).status == "duplicate"
    assert app.get_charge(paid.id).state == "disputed"
    rows = ledger_rows(app)
    app.handle_webhook(*event(EventType.DISPUTE_WON, paid))
    assert app.get_charge(paid.id).state == "done"
    assert ledger_rows(app) > rows and app.check_books().balanced


def test_dispute_events_out_of_order(app, paid):
    app.handle_webhook(*event(EventType.DISPUTE_LOST, paid))
    assert app.get_charge(paid.id).state == "lost"
    assert app.handle_webhook(*event(EventType.DISPUTE_CREATED, paid)).status == "applied"
    assert app.get_charge(paid.id).state == "lost"
    assert app.check_books().balanced


@pytest.mark.parametrize("forge", ["tampered", "wrong_secret", "stale", "future", "missing", "malformed"])
def test_forged_webhooks_are_rejected_and_change_nothing(app, paid, forge):
    body, headers = event(EventType.DISPUTE_CREATED, paid)
    if forge == "tampered":
        body = body.replace(b"dispute.created", b"dispute.won\x20\x20\x20\x20")
    elif forge == "wrong_secret":
        body, headers = build_event(EventType.DISPUTE_CREATED, paid.processor_key, secret="whsec_wrong")
    elif forge == "stale":
        body, headers = event(EventType.DISPUTE_CREATED, paid, timestamp=int(time.time()) - 3600)
    elif forge == "future":
        body, headers = event(EventType.DISPUTE_CREATED, paid, timestamp=int(time.time()) + 3600)
    elif forge == "missing":
        headers = {}
    else:
        headers = {"payproc-fake-signature": "garbage"}
    with pytest.raises(WebhookVerificationError):
        app.handle_webhook(body, headers)
    assert app.get_charge(paid.id).state == "done"
    with app.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEventRow)) == 0


def test_no_webhook_secret_refuses_everything(tmp_path):
    from coreapp import make_app

    app = make_app(f"sqlite:///{tmp_path}/n.sqlite3", WEBHOOK_SECRET=None)
    charge = app.checkout("alice", 2000, "usd", "tok_visa")
    with pytest.raises(WebhookVerificationError):
        app.handle_webhook(*event(EventType.DISPUTE_CREATED, charge))


def test_webhook_before_the_checkout_commits_is_kept_and_applied(app, account):
    # The processor's webhook for a charge payproc has not recorded yet.
    with pytest.raises(OutcomeUnknown):
        app.checkout("alice", 2000, "usd", "tok_timeout", idempotency_key="early")
    (made,) = account.list_charges("early")
    body, headers = build_event(EventType.CHARGE_SUCCEEDED, made["id"], secret=WEBHOOK_SECRET)
    assert app.handle_webhook(body, headers).status == "pending"
    (charge,) = app.settle().charges
    assert charge.state == "done"
    with app.db.transaction() as session:
        assert session.scalar(select(WebhookEventRow.applied)) is True
    assert app.check_books().balanced


def test_refund_made_on_the_processor_dashboard_is_recorded(app, paid, account):
    body, headers = account.refund_from_dashboard(paid.processor_key, 700, secret=WEBHOOK_SECRET)
    assert app.handle_webhook(body, headers).status == "applied"
    assert app.get_charge(paid.id).amount_refunded == 700
    app.handle_webhook(body, headers)
    assert app.get_charge(paid.id).amount_refunded == 700
    assert app.check_books().balanced


def test_transfers_and_reconciliation(app, paid):
    from payproc.types import ProcessorKeys

    app.set_processor_keys("cowork", ProcessorKeys(deposit_key="acct_cowork"))
    record = app.create_transfer("cowork", 1000, "usd", "weekly payout")
    assert record.amount == 1000
    assert app.reconcile_transfers("cowork") == []  # already booked
    assert app.balances()[("cowork", "Withdraw", "usd")] == 1000
    funds = app.balances()[("cowork", "Funds", "usd")]
    with pytest.raises(InsufficientFunds) as error:
        app.create_transfer("cowork", 5000, "usd")
    assert str(error.value) == f"cowork has {format_money(funds, 'usd')} available; cannot pay out 50.00 USD"
    assert (error.value.amount, error.value.available, error.value.fee, error.value.currency) == (5000, funds, 0, "usd")
    assert app.check_books().balanced


def test_a_refund_the_processor_later_fails_is_reversed(app, paid):
    refund = app.refund(paid.id, 600)
    body, headers = build_event(EventType.REFUND_FAILED, paid.processor_key, secret=WEBHOOK_SECRET,
                                refund=refund.processor_key)
    assert app.handle_webhook(body, headers).status == "applied"
    assert app.get_charge(paid.id).amount_refunded == 0
    report = app.check_books()
    assert report.balanced, report.problems
    assert app.balances()[("cowork", "Funds", "usd")] == 1912



def test_the_payout_fee_is_booked_and_counted_against_the_funds(tmp_path):
    import sys
    import types

    from coreapp import make_app
    from payproc import hookimpl
    from payproc.types import ProcessorKeys
    from payproc_fake.backend import FakeBackend

    class FeeOnPayouts(FakeBackend):
        @hookimpl
        def prorate_transfer(self, amount):
            return amount // 100  # 1%

    module = types.ModuleType("payproc_test_payout_fee")
    module.FeeOnPayouts = FeeOnPayouts
    sys.modules[module.__name__] = module
    app = make_app(f"sqlite:///{tmp_path}/fee.sqlite3", BACKEND=f"{module.__name__}:FeeOnPayouts")
    app.checkout("alice", 2000, "usd", "tok_visa", provider="cowork")
    app.set_processor_keys("cowork", ProcessorKeys(deposit_key="acct_cowork"))
    funds = app.balances()[("cowork", "Funds", "usd")]
    with pytest.raises(InsufficientFunds, match=r"plus a payout fee of 0\.19 USD"):
        app.create_transfer("cowork", funds, "usd")
    app.create_transfer("cowork", 1000, "usd")
    balances = app.balances()
    assert balances[("cowork", "Funds", "usd")] == funds - 1000 - 10
    assert balances[("cowork", "Withdraw", "usd")] == 1000
    assert app.check_books().balanced
