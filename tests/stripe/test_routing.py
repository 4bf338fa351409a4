"""Each row of the seed's mode table: where the customer, the card, the
PaymentIntent and the charge land, and when ``Stripe-Account``,
``transfer_data.destination`` and ``application_fee_amount`` are sent."""

from __future__ import annotations

import pytest

from payproc.errors import ProcessorError, ProcessorSetupError
from payproc.types import Party, PaymentRequest, ProcessorKeys
from stripe_world import World

LOCAL, FORWARD, REMOTE = 0, 1, 2

# mode, platform keys, provider plan, card account, charge account, destination
ROWS = [
    (LOCAL, False, False, "platform", "platform", None),
    (LOCAL, False, True, "platform", "platform", None),
    (LOCAL, True, True, "broker", "broker", None),
    (FORWARD, False, False, "platform", "platform", None),
    (FORWARD, False, True, "platform", "platform", "provider"),
    (FORWARD, True, False, "broker", "broker", None),
    (FORWARD, True, True, "broker", "broker", "provider"),
    (REMOTE, False, False, "broker", "platform", None),
    (REMOTE, False, True, "broker", "provider", None),
    (REMOTE, True, True, "broker", "provider", None),
    (REMOTE, True, False, "broker", "broker", None),
]


def _account(world: World, name: str | None) -> str | None:
    return {"platform": world.server.platform.id, "broker": world.broker_account.id,
            "provider": world.provider_account.id, None: None}[name]


@pytest.mark.parametrize("mode,platform_keys,provider_plan,card_at,charge_at,destination", ROWS)
def test_where_objects_land(fake_stripe, mode, platform_keys, provider_plan, card_at, charge_at, destination):
    world = World(fake_stripe, mode=mode, use_platform_keys=platform_keys)
    provider = world.provider if provider_plan else world.broker
    update = world.call("create_or_update_card", subscriber=world.subscriber, token="tok_visa",
                        provider=provider, broker=world.broker)
    card_account = fake_stripe.state.accounts[_account(world, card_at)]
    assert update.card_key in card_account.objects
    customer = card_account.objects[update.card_key]
    assert customer["invoice_settings"]["default_payment_method"] in card_account.objects

    request = PaymentRequest(amount=2000, currency="usd", customer=world.subscriber, provider=provider,
                             broker=world.broker, idempotency_key=f"route-{mode}-{platform_keys}-{provider_plan}",
                             token="tok_visa", broker_fee_amount=200)
    charge_account = fake_stripe.state.accounts[_account(world, charge_at)]
    if charge_at == "broker" and destination:
        # The seed's row: Stripe-Account broker *and* a destination. Stripe
        # refuses it (the provider is the platform's connected account, not
        # the broker's), and so does the fake: the request is as the table says.
        with pytest.raises(ProcessorError, match="No such destination"):
            world.call("create_payment", request=request, reference=None)
        create = [r for r in fake_stripe.requests if r["path"] == "/v1/payment_intents"][-1]
        assert create["stripe_account"] == world.broker_account.id
        assert create["params"]["transfer_data"]["destination"] == world.provider_account.id
        assert create["params"]["application_fee_amount"] == "200"
        return
    result = world.call("create_payment", request=request, reference=None)
    charge = charge_account.objects[charge_account.objects[result.processor_key]["latest_charge"]]
    create = [r for r in fake_stripe.requests if r["method"] == "POST" and r["path"] == "/v1/payment_intents"][-1]
    expected_header = None if charge_account is fake_stripe.platform else charge_account.id
    assert create["stripe_account"] == expected_header
    assert (create["params"].get("transfer_data") or {}).get("destination") == _account(world, destination)
    fee_expected = bool(expected_header or destination)
    assert ("application_fee_amount" in create["params"]) is fee_expected
    if fee_expected:
        fee = fake_stripe.state.find(charge_account, charge["application_fee"])
        assert fee["amount"] == 200
        assert fee["account"] == (_account(world, destination) or charge_account.id)
    else:
        assert charge["application_fee"] is None
    if destination:
        # Stripe's destination flow: the whole amount goes to the provider, the
        # application fee comes back to the platform; the provider is the
        # settlement merchant (on_behalf_of).
        transfer = charge_account.objects[charge["transfer"]]
        assert transfer["destination"] == world.provider_account.id and transfer["amount"] == 2000
        assert create["params"]["on_behalf_of"] == world.provider_account.id
        assert world.provider_account.balance["usd"] == 2000 - 200


@pytest.mark.parametrize("mode,platform_keys,provider_plan,card_at,charge_at,destination", ROWS)
def test_the_page_context_names_the_account_payments_are_confirmed_on(fake_stripe, mode, platform_keys,
                                                                        provider_plan, card_at, charge_at,
                                                                        destination):
    """Stripe.js confirms a PaymentIntent with a card Element made by a
    Stripe instance on the intent's account, and the page mounts its Element
    before it knows the amount: the context without an amount already names
    that account (``STRIPE_PAYMENT_ACCOUNT``), the one the prepared intent
    then lives on (``STRIPE_ACCOUNT``)."""
    world = World(fake_stripe, mode=mode, use_platform_keys=platform_keys)
    provider = world.provider if provider_plan else world.broker
    common = {"subscriber": world.subscriber, "provider": provider, "broker": world.broker, "broker_fee_amount": 0,
              "return_url": None}
    page = world.call("get_payment_context", amount=None, currency=None, idempotency_key=None, **common)
    expected = None if charge_at == "platform" else _account(world, charge_at)
    assert page.values.get("STRIPE_PAYMENT_ACCOUNT") == expected
    if charge_at == "broker" and destination:
        return  # Stripe refuses the intent itself (test_where_objects_land)
    prepared = world.call("get_payment_context", amount=2000, currency="usd",
                          idempotency_key=f"page-{mode}-{platform_keys}-{provider_plan}", **common)
    assert prepared.values.get("STRIPE_PAYMENT_ACCOUNT") == prepared.values.get("STRIPE_ACCOUNT") == expected
    intent_account = fake_stripe.state.accounts[_account(world, charge_at)]
    assert prepared.reference in intent_account.objects


def test_card_on_file_charged_on_provider_account_is_cloned(fake_stripe):
    """REMOTE, provider plan, broker on the platform account: the card is
    cloned from the platform into the provider's account."""
    world = World(fake_stripe, mode=REMOTE, broker_on_platform=True)
    update = world.call("create_or_update_card", subscriber=world.subscriber, token="tok_visa",
                        provider=world.provider, broker=world.broker)
    assert update.card_key in fake_stripe.platform.objects
    customer = Party("alice", keys=ProcessorKeys(card_key=update.card_key))
    request = PaymentRequest(amount=1500, currency="usd", customer=customer, provider=world.provider,
                             broker=world.broker, idempotency_key="clone-1", broker_fee_amount=150)
    result = world.call("create_charge", request=request)
    charge = world.provider_account.objects[world.provider_account.objects[result.processor_key]["latest_charge"]]
    assert charge["payment_method"] in world.provider_account.objects
    assert charge["payment_method"] not in fake_stripe.platform.objects
    clone = [r for r in fake_stripe.requests if r["path"] == "/v1/payment_methods"][-1]
    assert clone["stripe_account"] == world.provider_account.id
    assert clone["params"]["customer"] == update.card_key


@pytest.mark.parametrize("mode,platform_keys", [(FORWARD, False), (REMOTE, False)])
def test_provider_not_connected_names_the_provider(fake_stripe, mode, platform_keys):
    world = World(fake_stripe, mode=mode, use_platform_keys=platform_keys)
    unconnected = Party("newco", "New Co")
    request = PaymentRequest(amount=2000, currency="usd", customer=world.subscriber, provider=unconnected,
                             broker=world.broker, idempotency_key="nc-1", token="tok_visa")
    with pytest.raises(ProcessorSetupError) as caught:
        world.call("create_payment", request=request, reference=None)
    assert caught.value.provider == "newco" and not caught.value.revoked
    assert "newco is not connected" in str(caught.value)
    assert not [r for r in fake_stripe.requests if r["path"] == "/v1/payment_intents"]


def test_broker_not_connected_with_platform_keys(fake_stripe):
    world = World(fake_stripe, use_platform_keys=True)
    broker = Party("broker", is_broker=True)
    with pytest.raises(ProcessorSetupError) as caught:
        world.call("create_or_update_card", subscriber=world.subscriber, token="tok_visa",
                   provider=broker, broker=broker)
    assert caught.value.provider == "broker"


def test_payouts_go_to_the_provider_account_outside_local(fake_stripe):
    for mode, expected in ((LOCAL, None), (FORWARD, "provider"), (REMOTE, "provider")):
        world = World(fake_stripe, mode=mode)
        target = fake_stripe.platform if expected is None else world.provider_account
        target.credit("usd", 5000)
        world.call("create_transfer", provider=world.provider, amount=1000, currency="usd", descr="payout",
                   idempotency_key=f"po-{mode}")
        request = [r for r in fake_stripe.requests if r["path"] == "/v1/payouts"][-1]
        assert request["stripe_account"] == (None if expected is None else world.provider_account.id)
        assert target.balance["usd"] == 4000
