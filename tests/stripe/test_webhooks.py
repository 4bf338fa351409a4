"""parse_webhook: Stripe-Signature over the raw body, ±300 s, several secrets,
fail closed; event mapping."""

from __future__ import annotations

import json
import time

import pytest

from payproc.errors import WebhookVerificationError
from payproc.types import EventType, PaymentRequest
from payproc_stripe.webhooks import sign
from stripe_world import make_backend


def test_signed_event_is_parsed(world):
    body, headers = world.harness.webhook(EventType.CHARGE_SUCCEEDED, "ch_123", amount=2000, currency="usd",
                                          event_id="evt_1")
    event = world.call("parse_webhook", body=body, headers=headers)
    assert (event.event_id, event.type, event.charge_processor_key, event.amount) == (
        "evt_1", EventType.CHARGE_SUCCEEDED, "ch_123", 2000)


@pytest.mark.parametrize("change", ["secret", "body", "stale", "future", "missing", "malformed", "no_v1"])
def test_bad_signatures_are_refused(world, change):
    body, headers = world.harness.webhook(EventType.CHARGE_SUCCEEDED, "ch_1", amount=100, currency="usd")
    headers = dict(headers)
    now = int(time.time())
    if change == "secret":
        body, headers = world.harness.webhook(EventType.CHARGE_SUCCEEDED, "ch_1", secret="whsec_forged")
    elif change == "body":
        body = body.replace(b'"amount": 1000', b'"amount": 1')
        body = body + b" "
    elif change == "stale":
        body, headers = world.harness.webhook(EventType.CHARGE_SUCCEEDED, "ch_1", timestamp=now - 301)
    elif change == "future":
        body, headers = world.harness.webhook(EventType.CHARGE_SUCCEEDED, "ch_1", timestamp=now + 301)
    elif change == "missing":
        headers.pop("stripe-signature")
    elif change == "malformed":
        headers["stripe-signature"] = "garbage"
    elif change == "no_v1":
        headers["stripe-signature"] = f"t={now},v0=abc"
    with pytest.raises(WebhookVerificationError):
        world.call("parse_webhook", body=body, headers=headers)


def test_within_tolerance_is_accepted(world):
    body, headers = world.harness.webhook(EventType.CHARGE_FAILED, "ch_1", timestamp=int(time.time()) - 290)
    assert world.call("parse_webhook", body=body, headers=headers).type == EventType.CHARGE_FAILED


def test_rotation_accepts_every_configured_secret(world):
    settings = dict(world.harness.processor_settings(), WEBHOOK_SECRET="whsec_new, whsec_old",
                    WEBHOOK_SECRETS=["whsec_older"])
    backend = make_backend(settings)
    for secret in ("whsec_new", "whsec_old", "whsec_older"):
        body, headers = world.harness.webhook(EventType.CHARGE_SUCCEEDED, "ch_1", secret=secret)
        assert backend.call("parse_webhook", body=body, headers=headers).charge_processor_key == "ch_1"
    body, headers = world.harness.webhook(EventType.CHARGE_SUCCEEDED, "ch_1", secret="whsec_gone")
    with pytest.raises(WebhookVerificationError):
        backend.call("parse_webhook", body=body, headers=headers)


def test_several_v1_signatures_in_one_header(world):
    body = json.dumps({"id": "evt_x", "type": "charge.captured", "created": 1, "data": {"object": {
        "id": "ch_9", "amount": 10, "currency": "usd"}}}).encode()
    at = int(time.time())
    good = sign(body, world.harness.webhook_secret, at).split(",")[1]
    header = f"t={at},v1={'0' * 64},{good}"
    assert world.call("parse_webhook", body=body, headers={"stripe-signature": header}).type == EventType.CHARGE_CAPTURED


def test_no_secret_configured_fails_closed(world):
    settings = dict(world.harness.processor_settings())
    settings.pop("WEBHOOK_SECRET")
    backend = make_backend(settings)
    body, headers = world.harness.webhook(EventType.CHARGE_SUCCEEDED, "ch_1")
    with pytest.raises(WebhookVerificationError, match="no webhook secret"):
        backend.call("parse_webhook", body=body, headers=headers)


def test_refund_event_carries_this_refund(world):
    request = PaymentRequest(amount=2000, currency="usd", customer=world.subscriber, provider=world.broker,
                             broker=world.broker, idempotency_key="wh-r", token="tok_visa")
    paid = world.call("create_payment", request=request, reference=None)
    from datetime import datetime, timezone

    from payproc.types import ChargeRef

    ref = ChargeRef(processor_key=paid.processor_key, amount=2000, currency="usd", idempotency_key="wh-r",
                    created_at=datetime.now(timezone.utc), customer=world.subscriber, provider=world.broker,
                    broker=world.broker)
    world.call("refund_charge", charge=ref, amount=500, broker_amount=0, idempotency_key="r1")
    second = world.call("refund_charge", charge=ref, amount=300, broker_amount=0, idempotency_key="r2")
    body, headers = world.harness.webhook(EventType.CHARGE_REFUNDED, paid.processor_key, amount=300)
    event = world.call("parse_webhook", body=body, headers=headers)
    assert event.type == EventType.CHARGE_REFUNDED
    assert (event.amount, event.refund_processor_key) == (300, second.processor_key)


def test_synthesized_refund_event_uses_previous_attributes(world):
    body, headers = world.harness.webhook(EventType.CHARGE_REFUNDED, "ch_unknown", amount=700, currency="usd")
    event = world.call("parse_webhook", body=body, headers=headers)
    assert event.amount == 700 and event.refund_processor_key is None


@pytest.mark.parametrize("kind", [EventType.DISPUTE_CREATED, EventType.DISPUTE_UPDATED, EventType.DISPUTE_WON,
                                  EventType.DISPUTE_LOST, EventType.REFUND_FAILED, EventType.TRANSFER_PAID,
                                  EventType.CHARGE_CAPTURED, EventType.IGNORED])
def test_event_mapping(world, kind):
    body, headers = world.harness.webhook(kind, "ch_42", amount=1500, currency="eur")
    event = world.call("parse_webhook", body=body, headers=headers)
    assert event.type == kind
    if kind not in (EventType.TRANSFER_PAID, EventType.IGNORED):
        assert event.charge_processor_key == "ch_42"
    if kind in (EventType.DISPUTE_CREATED, EventType.DISPUTE_LOST, EventType.REFUND_FAILED):
        assert (event.amount, event.currency) == (1500, "eur")


def test_dispute_closed_without_money_moving_and_unknown_statuses_ignored(world):
    for status, expected in (("warning_closed", EventType.DISPUTE_CLOSED), ("prevented", EventType.DISPUTE_CLOSED),
                             ("charge_refunded", EventType.DISPUTE_CLOSED), ("something_new", EventType.IGNORED)):
        body = json.dumps({"id": f"evt_{status}", "type": "charge.dispute.closed", "created": int(time.time()),
                           "data": {"object": {"id": "dp_1", "charge": "ch_1", "amount": 5, "currency": "usd",
                                               "status": status}}}).encode()
        headers = {"stripe-signature": sign(body, world.harness.webhook_secret, int(time.time()))}
        assert world.call("parse_webhook", body=body, headers=headers).type == expected


def test_signed_garbage_is_refused(world):
    body = b"not json"
    headers = {"stripe-signature": sign(body, world.harness.webhook_secret, int(time.time()))}
    with pytest.raises(WebhookVerificationError):
        world.call("parse_webhook", body=body, headers=headers)


def test_a_dashboard_refund_is_named_by_asking_stripe(world):
    """Stripe's charge.refunded no longer lists refunds (API 2022-11-15 on): the
    backend asks Stripe which refund it was, so the core books it once."""
    request = PaymentRequest(amount=2000, currency="usd", customer=world.subscriber, provider=world.broker,
                             broker=world.broker, idempotency_key="wh-dash", token="pm_card_visa")
    paid = world.call("create_payment", request=request, reference=None)
    charge_id = world.server.platform.objects[paid.processor_key]["latest_charge"]
    made = world.server.state.refund(world.server.platform, {"charge": charge_id, "amount": "400"})  # the Dashboard
    stripe_event = world.server.state.events[-1]
    assert stripe_event["type"] == "charge.refunded" and "refunds" not in stripe_event["data"]["object"]
    body = json.dumps(stripe_event).encode()
    headers = {"stripe-signature": sign(body, world.harness.webhook_secret, int(time.time()))}
    event = world.call("parse_webhook", body=body, headers=headers)
    assert (event.charge_processor_key, event.amount, event.refund_processor_key) == (paid.processor_key, 400,
                                                                                      made["id"])
