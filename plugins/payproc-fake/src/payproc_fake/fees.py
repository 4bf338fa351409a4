"""The fake processor's price list, as the seed's FakeProcessorBackend had it.

2.9 % rounded half-up to the minor unit, plus 30: what Stripe charged US
cards for years. The processor never keeps more than what remains: on what
is left of a mostly refunded charge (below about 31 minor units) the fee is
capped at it, and the broker's share at what the fee leaves, so no share is
ever negative (the seed booked the provider -1 on a 30-cent remainder).
"""

from __future__ import annotations

__all__ = ["DISPUTE_FEE", "processor_fee", "split"]

#: Flat fee for a dispute, whatever the amount (seed: 1500 cents).
DISPUTE_FEE = 1500


def processor_fee(available: int) -> int:
    """The fee on ``available`` minor units: 0 when nothing is left."""
    if available <= 0:
        return 0
    return (available * 290 + 5000) // 10000 + 30


def split(amount: int, refunded: int, broker_fee_amount: int) -> tuple[int, int, int]:
    """``(distribute, processor_fee, broker_fee)`` of what remains of a charge
    of ``amount`` after ``refunded``; the three add up to ``amount - refunded``
    and none is negative.

    The broker's fee shrinks with refunds in proportion to what remains,
    rounded down (``broker_fee_amount * available // amount``), so the broker
    never keeps more than its share; it is 0 when there is no broker fee or
    nothing remains.
    """
    available = max(amount - refunded, 0)
    fee = min(processor_fee(available), available)
    broker = 0
    if broker_fee_amount > 0 and available > 0 and amount > 0:
        broker = min(broker_fee_amount * available // amount, available - fee)
    return available - fee - broker, fee, broker
