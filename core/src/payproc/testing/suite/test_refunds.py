"""Refunds: partial then full, never more than what is left (refused before
the processor is asked), the ledger balanced after each step."""

from __future__ import annotations

from typing import Any

import pytest

from ...db.models import RefundState
from ...errors import RefundExceedsRemaining
from ..driver import Driver
from ..requirements import requires

__all__ = ["TestRefunds"]


def _refunded_on_processor(driver: Driver, charge: Any) -> int:
    found = [c for c in driver.processor_charges(charge.idempotency_key) if c["id"] == charge.processor_key]
    assert len(found) == 1, f"the processor holds {len(found)} charges {charge.processor_key!r}"
    return int(found[0]["amount_refunded"])


def _funds_match_distribution(driver: Driver, charge: Any) -> None:
    """The provider's funds are what the backend says it keeps of the charge."""
    charge = driver.app.get_charge(charge.id)
    if not driver.app.backend.supports("charge_distribution"):
        expected = charge.amount - charge.amount_refunded
    else:
        dist = driver.app.backend.call("charge_distribution", charge=driver.charge_ref(charge),
                                       refunded=charge.amount_refunded, broker_fee_amount=charge.broker_fee_amount)
        expected = dist.distribute_amount
    broker = driver.app.settings.BROKER
    assert driver.balance(broker, "Funds") == expected


@requires("get_payment_context", "create_payment", "refund_charge")
class TestRefunds:
    def test_partial_then_full(self, payproc_driver: Driver) -> None:
        charge = payproc_driver.pay("success", 2000)
        first = payproc_driver.app.refund(charge.id, 500)
        assert first.state == RefundState.DONE and first.processor_key
        assert payproc_driver.app.get_charge(charge.id).amount_refunded == 500
        assert _refunded_on_processor(payproc_driver, charge) == 500
        payproc_driver.assert_books_balance()
        _funds_match_distribution(payproc_driver, charge)

        rest = payproc_driver.app.refund(charge.id)
        assert rest.amount == 1500 and rest.state == RefundState.DONE
        assert payproc_driver.app.get_charge(charge.id).amount_refunded == 2000
        assert _refunded_on_processor(payproc_driver, charge) == 2000
        payproc_driver.assert_books_balance()
        _funds_match_distribution(payproc_driver, charge)

    def test_more_than_is_left_is_refused_before_the_processor(self, payproc_driver: Driver) -> None:
        charge = payproc_driver.pay("success", 2000)
        payproc_driver.app.refund(charge.id, 700)
        with pytest.raises(RefundExceedsRemaining):
            payproc_driver.app.refund(charge.id, 1301)
        assert _refunded_on_processor(payproc_driver, charge) == 700
        assert payproc_driver.app.get_charge(charge.id).amount_refunded == 700
        payproc_driver.app.refund(charge.id)
        with pytest.raises(RefundExceedsRemaining):
            payproc_driver.app.refund(charge.id, 1)
        assert _refunded_on_processor(payproc_driver, charge) == 2000
        payproc_driver.assert_books_balance()

    def test_same_refund_key_refunds_once(self, payproc_driver: Driver) -> None:
        charge = payproc_driver.pay("success", 2000)
        first = payproc_driver.app.refund(charge.id, 400, idempotency_key="refund-once")
        again = payproc_driver.app.refund(charge.id, 400, idempotency_key="refund-once")
        assert again.id == first.id
        assert _refunded_on_processor(payproc_driver, charge) == 400
        payproc_driver.assert_books_balance()
