"""Races that only a real server with real concurrent connections shows."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from payproc_fake.webhooks import build_event
from sqlalchemy import func, select

from payproc.db import ChargeRow, LedgerRow
from payproc.errors import RefundExceedsRemaining
from payproc.types import EventType

from coreapp import WEBHOOK_SECRET

pytestmark = pytest.mark.postgres


def test_twenty_concurrent_checkouts_of_one_key_make_one_processor_call(pg_app):
    from payproc_fake import processor

    account = processor.get_account(pg_app.backend.settings.ACCOUNT)
    pg_app.db.engine.pool.dispose()
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(
            lambda _: pg_app.checkout("alice", 2000, "usd", "tok_visa", idempotency_key="same-order"), range(20)))
    assert len({charge.id for charge in results}) == 1
    assert len(account.list_charges("same-order")) == 1
    with pg_app.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ChargeRow)) == 1
    pg_app.settle()
    assert pg_app.list_charges()[0].state == "done"
    assert pg_app.check_books().balanced


def test_one_webhook_delivered_three_times_two_at_once_is_applied_once(pg_app):
    charge = pg_app.checkout("alice", 2000, "usd", "tok_visa")
    body, headers = build_event(EventType.DISPUTE_CREATED, charge.processor_key, secret=WEBHOOK_SECRET)
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(lambda _: pg_app.handle_webhook(body, headers).status, range(2)))
    outcomes.append(pg_app.handle_webhook(body, headers).status)
    assert sorted(outcomes) == ["applied", "duplicate", "duplicate"]
    with pg_app.db.transaction() as session:
        chargebacks = session.scalar(select(func.count()).select_from(LedgerRow)
                                     .where(LedgerRow.dest_account == "Chargeback",
                                            LedgerRow.orig_account == "Refunded"))
    assert chargebacks == 1
    assert pg_app.check_books().balanced


def test_concurrent_partial_refunds_never_exceed_the_charge(pg_app):
    from payproc_fake import processor

    account = processor.get_account(pg_app.backend.settings.ACCOUNT)
    charge = pg_app.checkout("alice", 2000, "usd", "tok_visa")

    def refund(_):
        try:
            pg_app.refund(charge.id, 1200)
            return "ok"
        except RefundExceedsRemaining:
            return "refused"

    with ThreadPoolExecutor(max_workers=2) as pool:
        assert sorted(pool.map(refund, range(2))) == ["ok", "refused"]
    assert account.retrieve_charge(charge.processor_key).amount_refunded == 1200
    assert pg_app.get_charge(charge.id).amount_refunded == 1200
    assert pg_app.check_books().balanced
