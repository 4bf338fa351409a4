"""charge_distribution: the seed's figures (CONTRACT.md section 9) where Stripe's fund flows agree,
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


def _charge(transaction, application_fee=None, refunds=(), transfer=None):
    refunded = -sum(r["net"] for r in refunds)
    return {"id": "ch_1", "amount": 2000, "amount_refunded": refunded, "currency": "usd",
            "balance_transaction": transaction, "application_fee": application_fee, "transfer": transfer,
            "refunds": {"data": [{"balance_transaction": r} for r in refunds]}}


def _transfer(amount, reversed_amount=0):
    return {"amount": amount, "amount_reversed": reversed_amount, "currency": "usd"}


def _fee(amount, refunds=()):
    return {"amount": amount, "currency": "usd", "refunds": {"data": [{"amount": a, "currency": "usd"}
                                                                      for a in refunds]}}


@pytest.mark.parametrize("charge,mode,orig,expected", [
    (_charge(_txn(1912, [("stripe_fee", 88)])), Mode.FORWARD, 0, (1912, 88, 0)),
    (_charge(_txn(1712, [("stripe_fee", 88), ("application_fee", 200)])), Mode.REMOTE, 0, (1712, 88, 200)),
    (_charge(_txn(1912, [("stripe_fee", 88)]), _fee(200), transfer=_transfer(2000)), Mode.FORWARD, 200,
     (1800, 88, 112)),
    (_charge(_txn(1912, [("stripe_fee", 88)]), transfer=_transfer(2000)), Mode.FORWARD, 0, (2000, 88, -88)),
    (_charge(_txn(1912, [("stripe_fee", 88)])), Mode.REMOTE, 200, (1712, 88, 200)),
    (_charge(_txn(1912, [("stripe_fee", 88)])), Mode.LOCAL, 200, (1800, 88, 112)),
    (_charge(_txn(1912, [("stripe_fee", 88)]), refunds=[_txn(-1000, [])]), Mode.FORWARD, 0, (912, 88, 0)),
])
def test_seed_figures(charge, mode, orig, expected):
    got = split(charge, mode=mode, broker_fee_amount=orig)
    assert (got.distribute_amount, got.processor_fee_amount, got.broker_fee_amount) == expected
    assert got.distribute_unit == got.processor_fee_unit == got.broker_fee_unit == "usd"


def test_fee_refund_gives_the_broker_fee_back():
    # direct charge, fully refunded, fee refunded: the provider paid the refund and Stripe's fee
    got = split(_charge(_txn(1712, [("stripe_fee", 88), ("application_fee", 200)]), _fee(200, [200]),
                        [_txn(-2000, [])]), mode=Mode.REMOTE, broker_fee_amount=200)
    assert (got.distribute_amount, got.processor_fee_amount, got.broker_fee_amount) == (-88, 88, 0)
    # destination charge, fully refunded with the transfer reversed, fee refunded: the platform paid Stripe's fee
    got = split(_charge(_txn(1912, [("stripe_fee", 88)]), _fee(200, [200]), [_txn(-2000, [])],
                        transfer=_transfer(2000, 2000)), mode=Mode.FORWARD, broker_fee_amount=200)
    assert (got.distribute_amount, got.processor_fee_amount, got.broker_fee_amount) == (0, 88, -88)


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


def _balances(world):
    return world.provider_account.balance.get("usd", 0), world.server.platform.balance.get("usd", 0)


# (provider's share, Stripe's fee, broker's share) of a 2000 charge with a 200 broker fee; the fake's
# Stripe fee is 88. The last column names whose Stripe balance Stripe's fee leaves.
@pytest.mark.parametrize("mode,expected,stripe_fee_from", [
    # LOCAL: one balance, the platform's; the broker (no fee sent to Stripe) absorbs Stripe's fee
    (0, (1800, 88, 112), "platform"),
    # FORWARD, destination charge: 2000 to the provider, 200 back to the platform, which pays Stripe's 88
    (1, (1800, 88, 112), "platform"),
    # REMOTE, direct charge: Stripe's fee and the application fee both leave the provider's balance
    (2, (1712, 88, 200), "provider"),
])
def test_each_mode_books_what_each_balance_holds(fake_stripe, mode, expected, stripe_fee_from):
    world = World(fake_stripe, mode=mode, broker_on_platform=(mode == 2))
    provider_before, platform_before = _balances(world)
    ref = _pay(world, world.provider, f"dist-{mode}")
    provider_after, platform_after = _balances(world)
    provider_got, platform_got = provider_after - provider_before, platform_after - platform_before
    distribute, stripe_fee, broker = _dist(world, ref)
    assert (distribute, stripe_fee, broker) == expected
    if mode == 0:  # everything stays on the platform: provider's and broker's shares are bookkeeping
        assert (provider_got, platform_got) == (0, distribute + broker)
    else:  # each share is what that account's balance received
        assert (provider_got, platform_got) == (distribute, broker)
    fee_payer = {"platform": platform_got, "provider": provider_got}[stripe_fee_from]
    other = provider_got if stripe_fee_from == "platform" else platform_got
    # the payer's balance is short of its gross by exactly Stripe's fee; the other received its gross
    gross = {0: (2000, 0), 1: (200, 1800), 2: (1800, 200)}[mode]
    assert fee_payer == gross[0] - stripe_fee and other == gross[1]


def test_forward_sends_the_provider_as_settlement_merchant(fake_stripe):
    world = World(fake_stripe, mode=1)
    _pay(world, world.provider, "obo")
    create = [r for r in fake_stripe.requests if r["path"] == "/v1/payment_intents"][-1]["params"]
    assert create["on_behalf_of"] == create["transfer_data"]["destination"] == world.provider_account.id


@pytest.mark.parametrize("mode", [1, 2])
def test_refund_and_fee_refund(fake_stripe, mode):
    world = World(fake_stripe, mode=mode, broker_on_platform=(mode == 2))
    provider_before, platform_before = _balances(world)
    ref = _pay(world, world.provider, f"refund-{mode}")
    refund = world.call("refund_charge", charge=ref, amount=1000, broker_amount=200, idempotency_key=f"rf-{mode}")
    assert refund.amount == 1000 and refund.broker_fee_refunded == 200 and refund.processor_key.startswith("re_")
    after = _dist(world, ref, refunded=1000)
    provider_after, platform_after = _balances(world)
    # the books are the balances: FORWARD's platform is left having paid Stripe's fee (-88) after giving
    # its fee back; REMOTE's provider paid the refund and Stripe's fee out of its own balance
    assert after == (provider_after - provider_before, 88, platform_after - platform_before)
    assert sum(after) == 1000
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
    # reverse_transfer reverses the 2000 transfer in proportion (1000); the fee stays with the broker
    assert world.provider_account.balance["usd"] == 800


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
