"""A smoke run against Stripe's test mode: real HTTP to api.stripe.com with a
test secret key, pinned API version, no fake in between.

context -> confirm (Stripe's test PaymentMethod ``pm_card_visa``) -> settle
-> refund -> the refund found again by its key -> Stripe's own
``charge.refunded`` event for it, read back from the Events API and parsed;
plus a 3-D Secure card left in ``requires_action`` and cancelled.

Run it with ``STRIPE_TEST_SECRET_KEY`` (an ``sk_test_…`` key) set and the
loopback-only socket guard lifted::

    STRIPE_TEST_SECRET_KEY=sk_test_… python -m pytest -o addopts="" -rs tests/stripe/test_stripe_live.py

Without the key every test here is skipped and says why (``-rs``; the run's
header says it too). What it does not do: receive a webhook delivery from
Stripe (that needs a public endpoint), so the event's signature is made
locally over Stripe's event body.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from datetime import datetime, timezone

import pytest

from payproc.types import ChargeRef, ChargeStatus, EventType, Party, PaymentRequest, RefundRef, RefundStatus
from payproc_stripe.webhooks import sign
from stripe_world import make_backend

KEY = os.environ.get("STRIPE_TEST_SECRET_KEY", "")
NO_KEY = ("STRIPE_TEST_SECRET_KEY is not set: nothing is run against Stripe's test mode (the smoke run needs an "
          "sk_test_ key and the network)")
LOCAL_SECRET = "whsec_smoke_signed_locally"

pytestmark = pytest.mark.skipif(not KEY, reason=NO_KEY)


@pytest.fixture
def live():
    if not KEY.startswith(("sk_test_", "rk_test_")):
        pytest.fail("STRIPE_TEST_SECRET_KEY must be a test-mode key (sk_test_… or rk_test_…)")
    backend = make_backend({"BACKEND": "stripe", "PRIV_KEY": KEY, "WEBHOOK_SECRET": LOCAL_SECRET,
                            "PUB_KEY": os.environ.get("STRIPE_TEST_PUBLISHABLE_KEY"), "MAX_NETWORK_RETRIES": 1})
    return backend, Party("broker", "Broker", is_broker=True), uuid.uuid4().hex


def _request(broker, subscriber, key, **kwargs):
    return PaymentRequest(amount=kwargs.pop("amount", 2000), currency="usd", customer=subscriber, provider=broker,
                          broker=broker, idempotency_key=key, **kwargs)


def _event_for(charge_id: str) -> dict:
    import stripe

    client = stripe.StripeClient(KEY)
    for _ in range(30):  # Stripe creates the event shortly after the refund
        for event in client.v1.events.list({"type": "charge.refunded", "limit": 20}).data:
            data = event.to_dict()
            if data["data"]["object"]["id"] == charge_id:
                return data
        time.sleep(1)
    raise AssertionError(f"Stripe made no charge.refunded event for {charge_id} within 30 s")


def test_context_confirm_refund_webhook(live):
    backend, broker, run = live
    alice = Party(f"smoke-{run[:8]}", "Smoke Test")
    key = f"smoke-{run}"
    context = backend.call("get_payment_context", subscriber=alice, amount=2000, currency="usd", provider=broker,
                           broker=broker, broker_fee_amount=0, idempotency_key=key, return_url=None)
    assert context.reference.startswith("pi_")
    result = backend.call("create_payment", request=_request(broker, alice, key, token="pm_card_visa"),
                          reference=context.reference)
    assert result.status == ChargeStatus.SUCCEEDED and result.processor_key == context.reference
    charge = ChargeRef(processor_key=result.processor_key, amount=2000, currency="usd", idempotency_key=key,
                       created_at=datetime.now(timezone.utc), customer=alice, provider=broker, broker=broker,
                       reference=context.reference)
    assert backend.call("retrieve_charge", charge=charge).status == ChargeStatus.SUCCEEDED
    split = backend.call("charge_distribution", charge=charge, refunded=0, broker_fee_amount=0)
    assert split.distribute_amount + split.processor_fee_amount == 2000 and split.processor_fee_amount > 0
    refund = backend.call("refund_charge", charge=charge, amount=500, broker_amount=0, idempotency_key=f"{key}:r1")
    found = backend.call("retrieve_refund", refund=RefundRef(charge=charge, idempotency_key=f"{key}:r1", amount=500,
                                                             created_at=datetime.now(timezone.utc)))
    assert found.processor_key == refund.processor_key and found.status in (RefundStatus.SUCCEEDED,
                                                                             RefundStatus.PENDING)
    body = json.dumps(_event_for(result.processor_key)).encode()
    event = backend.call("parse_webhook", body=body,
                         headers={"stripe-signature": sign(body, LOCAL_SECRET, int(time.time()))})
    assert (event.type, event.charge_processor_key, event.amount) == (EventType.CHARGE_REFUNDED,
                                                                      result.processor_key, 500)


def test_a_challenge_waits_then_is_cancelled(live):
    backend, broker, run = live
    alice = Party(f"smoke3ds-{run[:8]}")
    key = f"smoke-3ds-{run}"
    result = backend.call("create_payment", request=_request(broker, alice, key,
                                                             token="pm_card_threeDSecure2Required"), reference=None)
    assert result.status == ChargeStatus.REQUIRES_ACTION and result.next_action is not None
    charge = ChargeRef(processor_key=result.processor_key, amount=2000, currency="usd", idempotency_key=key,
                       created_at=datetime.now(timezone.utc), customer=alice, provider=broker, broker=broker)
    assert backend.call("retrieve_charge", charge=charge).status == ChargeStatus.REQUIRES_ACTION
    assert backend.call("cancel_payment", charge=charge).status == ChargeStatus.CANCELED
