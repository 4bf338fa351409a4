"""Scenarios that use nothing but the backend: the same code runs against the
local fake (always) and against Stripe's test mode when
``STRIPE_TEST_SECRET_KEY`` is set (LOCAL mode, the key's own account)."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone

import pytest

from fakestripe_server import FakeStripe
from payproc.errors import CardError
from payproc.types import ChargeRef, ChargeStatus, Party, PaymentRequest, ProcessorKeys
from stripe_harness import StripeHarness
from stripe_world import make_backend

SERVERS = ["fake"] + (["stripe-test-mode"] if os.environ.get("STRIPE_TEST_SECRET_KEY") else [])


@pytest.fixture(params=SERVERS)
def scenario(request):
    if request.param == "fake":
        server = FakeStripe().start()
        request.addfinalizer(server.stop)
        settings = dict(StripeHarness(server).processor_settings())
    else:  # Stripe's test mode: API_BASE unset, the SDK's default host
        settings = {"BACKEND": "stripe", "PRIV_KEY": os.environ["STRIPE_TEST_SECRET_KEY"],
                    "PUB_KEY": os.environ.get("STRIPE_TEST_PUBLISHABLE_KEY"), "MAX_NETWORK_RETRIES": 1,
                    "WEBHOOK_SECRET": "whsec_unused"}
    return make_backend(settings), Party("broker", "Broker", is_broker=True), uuid.uuid4().hex


def _request(broker, subscriber, key, **kwargs):
    return PaymentRequest(amount=kwargs.pop("amount", 2000), currency="usd", customer=subscriber, provider=broker,
                          broker=broker, idempotency_key=key, **kwargs)


def _ref(result, broker, subscriber, key):
    return ChargeRef(processor_key=result.processor_key, amount=result.amount, currency=result.currency,
                     idempotency_key=key, created_at=datetime.now(timezone.utc), customer=subscriber,
                     provider=broker, broker=broker)


def test_pay_retry_refund_distribute(scenario):
    backend, broker, run = scenario
    alice = Party(f"alice-{run[:8]}", "Alice")
    key = f"scenario-{run}"
    result = backend.call("create_payment", request=_request(broker, alice, key, token="tok_visa"), reference=None)
    again = backend.call("create_payment", request=_request(broker, alice, key, token="tok_visa"), reference=None)
    assert result.status == ChargeStatus.SUCCEEDED and again.processor_key == result.processor_key
    ref = _ref(result, broker, alice, key)
    assert backend.call("retrieve_charge", charge=ref).status == ChargeStatus.SUCCEEDED
    split = backend.call("charge_distribution", charge=ref, refunded=0, broker_fee_amount=0)
    assert split.distribute_amount + split.processor_fee_amount == 2000 and split.processor_fee_amount > 0
    backend.call("refund_charge", charge=ref, amount=500, broker_amount=0, idempotency_key=f"{key}-r1")
    after = backend.call("charge_distribution", charge=ref, refunded=500, broker_fee_amount=0)
    assert after.distribute_amount == split.distribute_amount - 500
    assert backend.call("retrieve_charge", charge=ref).amount_refunded == 500


def test_decline_and_card_on_file(scenario):
    backend, broker, run = scenario
    alice = Party(f"alice-{run[:8]}", "Alice")
    with pytest.raises(CardError) as caught:
        backend.call("create_payment", request=_request(broker, alice, f"d-{run}", token="tok_chargeDeclined"),
                     reference=None)
    assert caught.value.code == "card_declined" and caught.value.charge_processor_key
    update = backend.call("create_or_update_card", subscriber=alice, token="tok_visa", provider=broker, broker=broker)
    alice = Party(alice.slug, "Alice", keys=ProcessorKeys(card_key=update.card_key))
    result = backend.call("create_charge", request=_request(broker, alice, f"c-{run}", amount=1234))
    assert (result.amount, result.receipt.last4) == (1234, "4242")
    backend.call("delete_card", subscriber=alice, broker=broker)
    assert backend.call("retrieve_card", subscriber=alice, broker=broker) is None
