"""Payouts to a provider and their reconciliation, where the backend
declares them: never more than the provider's funds, booked once."""

from __future__ import annotations

import pytest

from ...errors import InvalidInput
from ..driver import PROVIDER, Driver
from ..requirements import requires

__all__ = ["TestTransfers"]


@requires("get_payment_context", "create_payment", "create_transfer")
class TestTransfers:
    def test_payout_of_the_providers_funds(self, payproc_driver: Driver) -> None:
        payproc_driver.pay("success", 5000, provider=PROVIDER)
        funds = payproc_driver.balance(PROVIDER, "Funds")
        assert funds > 0
        app = payproc_driver.app
        fee = app.backend.call_optional("prorate_transfer", amount=funds // 2, provider=app.party(PROVIDER)) or 0
        record = app.create_transfer(PROVIDER, funds // 2, payproc_driver.currency, "suite payout")
        assert record.processor_key and record.amount == funds // 2
        assert record.currency.lower() == payproc_driver.currency
        # the processor's payout fee (prorate_transfer) comes out of the provider's funds
        assert payproc_driver.balance(PROVIDER, "Funds") == funds - funds // 2 - fee
        assert payproc_driver.balance(PROVIDER, "Withdraw") == funds // 2
        payproc_driver.assert_books_balance()

    def test_payout_above_the_funds_is_refused(self, payproc_driver: Driver) -> None:
        payproc_driver.pay("success", 2000, provider=PROVIDER)
        funds = payproc_driver.balance(PROVIDER, "Funds")
        with pytest.raises(InvalidInput):
            payproc_driver.app.create_transfer(PROVIDER, funds + 1, payproc_driver.currency)
        assert payproc_driver.balance(PROVIDER, "Withdraw") == 0

    @requires("reconcile_transfers")
    def test_reconciliation_books_each_payout_once(self, payproc_driver: Driver) -> None:
        payproc_driver.pay("success", 5000, provider=PROVIDER)
        funds = payproc_driver.balance(PROVIDER, "Funds")
        payproc_driver.app.create_transfer(PROVIDER, funds // 2, payproc_driver.currency)
        balances = payproc_driver.app.balances()
        assert payproc_driver.app.reconcile_transfers(PROVIDER) == []
        assert payproc_driver.app.balances() == balances
        payproc_driver.assert_books_balance()
