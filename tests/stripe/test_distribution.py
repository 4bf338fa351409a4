"""charge_distribution: the seed's verified figures (CONTRACT.md section 9),
from pure charge objects and end to end through the fake's balance
transactions, plus refunds and application-fee refunds."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from payproc.types import ChargeRef, PaymentRequest
from payproc_stripe.distribution import split
from payproc_stripe.settings import Mode
from stripe_world import World


def _txn(net, fees, currency="usd"):
    return {"currency": currency, "net": net,
            "fee_details": [{"type": kind, "amount": amount, "currency": currency} for kind, amount in fees]}


def _charge(transaction, application_fee=None, refunds=()):
    return {"id": "ch_1", "currency": "usd", "balance_transaction": transaction, "application_fee": application_fee,
            "refunds": {"data": [{"balance_transaction": r} for r in refunds]}}


def _fee(amount, refunds=()):
    return {"amount": amount, "currency": "usd", "refunds": {"data": [{"amount": a, "currency": "usd"}
                                                                      for a in refunds]}}


@pytest.mark.parametrize("charge,mode,orig,expected", [
    (_charge(_txn(1912, [("stripe_fee", 88)])), Mode.FORWARD, 0, (1912, 88, 0)),
    (_charge(_txn(1712, [("stripe_fee", 88), ("application_fee", 200)])), Mode.REMOTE, 0, (1712, 88, 200)),
    (_charge(_txn(1912, [("stripe_fee", 88)]), _fee(200)), Mode.FORWARD, 0, (1712, 88, 200)),
    (_charge(_txn(1912, [("stripe_fee", 88)])), Mode.FORWARD, 200, (1712, 88, 200)),
    (_charge(_txn(1912, [("stripe_fee", 88)])), Mode.LOCAL, 200, (1800, 88, 112)),
    (_charge(_txn(1912, [("stripe_fee", 88)]), refunds=[_txn(-1000, [])]), Mode.FORWARD, 0, (912, 88, 0)),
])
def test_seed_figures(charge, mode, orig, expected):
    got = split(charge, mode=mode, broker_fee_amount=orig)
    assert (got.distribute_amount, got.processor_fee_amount, got.broker_fee_amount) == expected
    assert got.distribute_unit == got.processor_fee_unit == got.broker_fee_unit == "usd"


def test_fee_refund_gives_the_broker_fee_back():
    got = split(_charge(_txn(1912, [("stripe_fee", 88)]), _fee(200, [200]), [_txn(-2000, [])]),
                mode=Mode.FORWARD, broker_fee_amount=200)
    # Stripe keeps its fee on a full refund: the seed's arithmetic leaves it on the provider's side.
    assert (got.distribute_amount, got.processor_fee_amount, got.broker_fee_amount) == (-88, 88, 0)


def _pay(world, provider, key, fee=200):
    request = PaymentRequest(amount=2000, currency="usd", customer=world.subscriber, provider=provider,
                             broker=world.broker, idempotency_key=key, token="tok_visa", broker_fee_amount=fee)
    result = world.call("create_payment", request=request, reference=None)
    return ChargeRef(processor_key=result.processor_key, amount=2000, currency="usd", idempotency_key=key,
                     created_at=datetime.now(timezone.utc), customer=world.subscriber, provider=provider,
                     broker=world.broker, broker_fee_amount=fee)


def _dist(world, ref, refunded=0, fee=200):
    got = world.call("charge_distribution", charge=ref, refunded=refunded, broker_fee_amount=fee)
    return got.distribute_amount, got.processor_fee_amount, got.broker_fee_amount


@pytest.mark.parametrize("mode,expected", [
    (0, (1800, 88, 112)),   # LOCAL: no fee sent to Stripe, the broker absorbs Stripe's fee
    (1, (1712, 88, 200)),   # FORWARD: destination charge, application fee object
    (2, (1712, 88, 200)),   # REMOTE: direct charge, application_fee in fee_details
])
def test_end_to_end_per_mode(fake_stripe, mode, expected):
    world = World(fake_stripe, mode=mode, broker_on_platform=(mode == 2))
    ref = _pay(world, world.provider, f"dist-{mode}")
    assert _dist(world, ref) == expected


@pytest.mark.parametrize("mode", [1, 2])
def test_refund_and_fee_refund(fake_stripe, mode):
    world = World(fake_stripe, mode=mode, broker_on_platform=(mode == 2))
    ref = _pay(world, world.provider, f"refund-{mode}")
    before = _dist(world, ref)
    refund = world.call("refund_charge", charge=ref, amount=1000, broker_amount=200, idempotency_key=f"rf-{mode}")
    assert refund.amount == 1000 and refund.broker_fee_refunded == 200 and refund.processor_key.startswith("re_")
    after = _dist(world, ref, refunded=1000)
    assert after == (before[0] - 1000 + 200, 88, 0)
    fee_request = [r for r in fake_stripe.requests if "/refunds" in r["path"] and "application_fees" in r["path"]][-1]
    assert fee_request["stripe_account"] is None  # application fees belong to the platform
    assert fee_request["idempotency_key"] == f"rf-{mode}:fee"
    # retrying the refund replays it
    again = world.call("refund_charge", charge=ref, amount=1000, broker_amount=200, idempotency_key=f"rf-{mode}")
    assert again.processor_key == refund.processor_key
    assert _dist(world, ref, refunded=1000) == after


def test_destination_refund_reverses_the_transfer(fake_stripe):
    world = World(fake_stripe, mode=1)
    ref = _pay(world, world.provider, "rev-transfer")
    assert world.provider_account.balance["usd"] == 1800
    world.call("refund_charge", charge=ref, amount=1000, broker_amount=0, idempotency_key="rt")
    assert world.provider_account.balance["usd"] == 900


def test_local_refund_without_application_fee(world):
    ref = _pay(world, world.broker, "local-refund")
    refund = world.call("refund_charge", charge=ref, amount=2000, broker_amount=200, idempotency_key="lr")
    assert refund.broker_fee_refunded == 0
    # net 1912 - broker 200 - refund 2000 + Stripe's fee absorbed by the broker 88
    assert _dist(world, ref, refunded=2000) == (1912 - 200 - 2000 + 88, 88, 112)


def test_unknown_charge_keeps_what_remains(world):
    ref = ChargeRef(processor_key="ch_missing", amount=2000, currency="usd", idempotency_key="m",
                    created_at=datetime.now(timezone.utc), customer=world.subscriber, provider=world.broker,
                    broker=world.broker)
    assert _dist(world, ref, refunded=500, fee=0) == (1500, 0, 0)
