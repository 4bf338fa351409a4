"""Refunds and payouts whose answer was lost are settled by asking the
processor, never guessed: the look-up hooks find what was made (by
processor key and by idempotency key), ``settle`` books it once, a retry
with the same key makes nothing twice; a payout key is stable; the
processor's minimum charge is refused before any call."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from ...db.models import ChargeRow, RefundState
from ...errors import InvalidAmount, OutcomeUnknown
from ...types import RefundRef, RefundStatus, TransferRef
from ..driver import PROVIDER, Driver
from ..requirements import needs, requires

__all__ = ["TestMinimumAmount", "TestPayoutSettling", "TestRefundSettling"]


def _refunded_on_processor(driver: Driver, charge: object) -> int:
    key = getattr(charge, "idempotency_key", "")
    found = [c for c in driver.processor_charges(key) if c["id"] == getattr(charge, "processor_key", None)]
    assert len(found) == 1
    return int(found[0]["amount_refunded"])


def _lost_refund(driver: Driver, amount: int, key: str) -> ChargeRow:
    """A paid charge of 2000 with a refund of ``amount`` whose answer was lost."""
    charge = driver.pay("success", 2000)
    driver.harness.lose_next_answer("refund")
    with pytest.raises(OutcomeUnknown):
        driver.app.refund(charge.id, amount, idempotency_key=key)
    return charge


@requires("get_payment_context", "create_payment", "refund_charge", "retrieve_refund")
class TestRefundSettling:
    def test_retrieve_refund_finds_a_refund_by_key_and_by_id(self, payproc_driver: Driver) -> None:
        charge = payproc_driver.pay("success", 2000)
        refund = payproc_driver.app.refund(charge.id, 500, idempotency_key="suite-refund-lookup")
        assert refund.state == RefundState.DONE
        ref = RefundRef(charge=payproc_driver.charge_ref(payproc_driver.app.get_charge(charge.id)),
                        idempotency_key=refund.idempotency_key, amount=500, created_at=refund.created_at)
        by_key = payproc_driver.app.backend.call("retrieve_refund", refund=ref)
        assert by_key.status == RefundStatus.SUCCEEDED, "retrieve_refund must find a refund by its idempotency key"
        assert (by_key.amount, by_key.processor_key) == (500, refund.processor_key)
        by_id = payproc_driver.app.backend.call("retrieve_refund", refund=replace(ref, processor_key=refund.processor_key))
        assert by_id.status == RefundStatus.SUCCEEDED and by_id.amount == 500
        missing = payproc_driver.app.backend.call(
            "retrieve_refund", refund=replace(ref, idempotency_key="suite-never-sent", amount=100))
        assert missing.status == RefundStatus.NOT_FOUND

    @needs("lost_answer")
    def test_a_refund_whose_answer_was_lost_is_settled_once(self, payproc_driver: Driver) -> None:
        app = payproc_driver.app
        charge = _lost_refund(payproc_driver, 600, "suite-lost-refund")
        assert app.get_charge(charge.id).amount_refunded == 0
        report = app.settle()
        assert [(r.amount, r.state) for r in report.refunds] == [(600, RefundState.DONE)]
        assert app.get_charge(charge.id).amount_refunded == 600 == _refunded_on_processor(payproc_driver, charge)
        payproc_driver.assert_books_balance()
        again = app.refund(charge.id, 600, idempotency_key="suite-lost-refund")
        assert again.state == RefundState.DONE
        assert _refunded_on_processor(payproc_driver, charge) == 600, "a retry with the key refunded twice"
        rest = app.refund(charge.id)
        assert rest.amount == 1400 and _refunded_on_processor(payproc_driver, charge) == 2000
        payproc_driver.assert_books_balance()

    @needs("lost_answer")
    def test_a_retry_with_the_key_asks_the_processor(self, payproc_driver: Driver) -> None:
        app = payproc_driver.app
        charge = _lost_refund(payproc_driver, 700, "suite-retried-refund")
        again = app.refund(charge.id, 700, idempotency_key="suite-retried-refund")
        assert again.state == RefundState.DONE and again.processor_key
        assert app.get_charge(charge.id).amount_refunded == 700 == _refunded_on_processor(payproc_driver, charge)
        payproc_driver.assert_books_balance()


def _payouts(driver: Driver, key: str) -> list[str]:
    """The processor's payouts to the provider made with ``key`` (through
    its own listing, not payproc's books)."""
    app = driver.app
    since = datetime.now(timezone.utc) - timedelta(days=1)
    records = app.backend.call("reconcile_transfers", provider=app.party(PROVIDER), since=since,
                               limit_to_one_request=False)
    return [r.processor_key for r in records if r.idempotency_key in (key, None)]


@requires("get_payment_context", "create_payment", "create_transfer", "retrieve_transfer")
class TestPayoutSettling:
    def test_retrieve_transfer_finds_a_payout_by_its_key(self, payproc_driver: Driver) -> None:
        payproc_driver.pay("success", 5000, provider=PROVIDER)
        app = payproc_driver.app
        record = app.create_transfer(PROVIDER, 1000, payproc_driver.currency, idempotency_key="suite-payout-1")
        ref = TransferRef(provider=app.party(PROVIDER), idempotency_key="suite-payout-1", amount=1000,
                          currency=payproc_driver.currency, created_at=record.created_at)
        found = app.backend.call("retrieve_transfer", transfer=ref)
        assert found is not None and found.processor_key == record.processor_key
        missing = app.backend.call("retrieve_transfer", transfer=replace(ref, idempotency_key="suite-never-paid"))
        assert missing is None

    def test_the_same_key_pays_out_once(self, payproc_driver: Driver) -> None:
        payproc_driver.pay("success", 5000, provider=PROVIDER)
        app = payproc_driver.app
        first = app.create_transfer(PROVIDER, 1000, payproc_driver.currency, idempotency_key="suite-payout-2")
        again = app.create_transfer(PROVIDER, 1000, payproc_driver.currency, idempotency_key="suite-payout-2")
        assert again.processor_key == first.processor_key
        assert payproc_driver.balance(PROVIDER, "Withdraw") == 1000
        payproc_driver.assert_books_balance()

    @needs("lost_answer")
    def test_a_payout_whose_answer_was_lost_is_settled_once(self, payproc_driver: Driver) -> None:
        payproc_driver.pay("success", 5000, provider=PROVIDER)
        app = payproc_driver.app
        payproc_driver.harness.lose_next_answer("transfer")
        with pytest.raises(OutcomeUnknown):
            app.create_transfer(PROVIDER, 1000, payproc_driver.currency, idempotency_key="suite-payout-3")
        report = app.settle()
        assert [(t.idempotency_key, t.state) for t in report.transfers] == [("suite-payout-3", "paid")]
        again = app.create_transfer(PROVIDER, 1000, payproc_driver.currency, idempotency_key="suite-payout-3")
        assert again.status == "paid"
        assert payproc_driver.balance(PROVIDER, "Withdraw") == 1000
        if app.backend.supports("reconcile_transfers"):
            assert len(_payouts(payproc_driver, "suite-payout-3")) == 1, "the processor paid out twice"
        payproc_driver.assert_books_balance()


@requires("get_payment_context", "create_payment", "minimum_amount")
class TestMinimumAmount:
    def test_below_the_minimum_is_refused_before_the_processor(self, payproc_driver: Driver) -> None:
        app = payproc_driver.app
        currency = payproc_driver.currency
        minimum = app.backend.call("minimum_amount", currency=currency)
        assert isinstance(minimum, int) and minimum > 0
        rows = payproc_driver.ledger_rows()
        charges = len(app.list_charges())
        with pytest.raises(InvalidAmount, match="minimum"):
            app.payment_context("xia", minimum - 1, currency)
        assert len(app.list_charges()) == charges and payproc_driver.ledger_rows() == rows
        paid = payproc_driver.pay("success", minimum)
        assert paid.amount == minimum
        payproc_driver.assert_books_balance()
