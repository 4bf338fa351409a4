"""charge_distribution: what the provider gets, the processor's fee and the
broker's fee add up to what is left of the charge, per unit, and the ledger
books exactly that."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from ...money import normalize_currency
from ..driver import PROVIDER, Driver
from ..requirements import requires

__all__ = ["TestChargeDistribution"]


@requires("get_payment_context", "create_payment", "charge_distribution")
class TestChargeDistribution:
    def _check(self, driver: Driver, charge_id: int, refunded: int, broker_fee: int) -> None:
        charge = driver.app.get_charge(charge_id)
        # As the refund flow does: the snapshot says what is refunded too.
        ref = replace(driver.charge_ref(charge), amount_refunded=refunded)
        dist = driver.app.backend.call("charge_distribution", charge=ref, refunded=refunded,
                                       broker_fee_amount=broker_fee)
        parts = [(dist.distribute_amount, dist.distribute_unit), (dist.processor_fee_amount, dist.processor_fee_unit),
                 (dist.broker_fee_amount, dist.broker_fee_unit or dist.distribute_unit)]
        per_unit: dict[str, int] = defaultdict(int)
        for amount, unit in parts:
            assert isinstance(amount, int) and not isinstance(amount, bool), f"{amount!r} is not minor units"
            per_unit[normalize_currency(unit)] += amount
        assert dist.processor_fee_amount >= 0 and dist.broker_fee_amount >= 0
        if set(per_unit) == {charge.currency}:
            assert per_unit[charge.currency] == charge.amount - refunded, (
                f"net + processor fee + broker fee = {per_unit[charge.currency]}, "
                f"not {charge.amount - refunded} (amount {charge.amount} - refunded {refunded})")

    def test_parts_add_up(self, payproc_driver: Driver) -> None:
        charge = payproc_driver.pay("success", 2000, provider=PROVIDER, broker_fee_amount=300)
        for refunded in (0, 500, 1999, 2000):
            self._check(payproc_driver, charge.id, refunded, 300)
        self._check(payproc_driver, charge.id, 0, 0)

    def test_ledger_books_the_distribution(self, payproc_driver: Driver) -> None:
        charge = payproc_driver.pay("success", 5000, provider=PROVIDER, broker_fee_amount=450)
        dist = payproc_driver.app.backend.call(
            "charge_distribution", charge=payproc_driver.charge_ref(charge), refunded=0, broker_fee_amount=450)
        assert payproc_driver.balance(PROVIDER, "Funds") == dist.distribute_amount
        broker = payproc_driver.app.settings.BROKER
        assert payproc_driver.balance(broker, "Funds") == dist.broker_fee_amount
        payproc_driver.assert_books_balance()
