"""Webhooks: signature over the raw body, event ids, normalized events."""

from __future__ import annotations

import json

import pytest
from payproc.errors import WebhookVerificationError
from payproc.types import EventType
from razorpay_helpers import charge_ref


def parse(backend, body, headers):
    return backend.call("parse_webhook", body=body, headers=headers)


def test_fake_sends_signed_payment_events(backend, checkout, subscriber, key, backdoor):
    result, _ = checkout(subscriber, 50000, "inr", key)
    [(body, headers)] = backdoor.deliveries("payment.captured")
    event = parse(backend, body, headers)
    assert event.type is EventType.CHARGE_SUCCEEDED
    assert event.event_id == headers["x-razorpay-event-id"]
    assert (event.charge_processor_key, event.amount, event.currency) == (result.processor_key, 50000, "inr")
    [(body, headers)] = backdoor.deliveries("payment.authorized")
    assert parse(backend, body, headers).type is EventType.CHARGE_AUTHORIZED
    [(body, headers)] = backdoor.deliveries("order.paid")
    assert parse(backend, body, headers).type is EventType.IGNORED


def test_refund_events_carry_the_refund(backend, checkout, subscriber, key, backdoor):
    result, _ = checkout(subscriber, 50000, "inr", key)
    refund = backend.call("refund_charge", charge=charge_ref(subscriber, 50000, "inr", key, result.processor_key),
                          amount=12000, broker_amount=0, idempotency_key="rf")
    [(body, headers)] = backdoor.deliveries("refund.processed")
    event = parse(backend, body, headers)
    assert event.type is EventType.CHARGE_REFUNDED
    assert (event.refund_processor_key, event.amount, event.charge_processor_key) == (
        refund.processor_key, 12000, result.processor_key)


def test_failed_payment_event(backend, checkout, subscriber, key, backdoor):
    with pytest.raises(Exception):  # noqa: B017 (the decline itself is tested elsewhere)
        checkout(subscriber, 50000, "inr", key, outcome="decline")
    [(body, headers)] = backdoor.deliveries("payment.failed")
    assert parse(backend, body, headers).type is EventType.CHARGE_FAILED


@pytest.mark.parametrize(("status", "expected"), [("won", EventType.DISPUTE_WON), ("lost", EventType.DISPUTE_LOST),
                                                  ("under_review", EventType.DISPUTE_UPDATED)])
def test_dispute_events(backend, checkout, subscriber, key, backdoor, status, expected):
    result, _ = checkout(subscriber, 50000, "inr", key)
    dispute = backdoor.backdoor("disputes", {"payment_id": result.processor_key, "amount": 30000})
    [(body, headers)] = backdoor.deliveries("payment.dispute.created")
    opened = parse(backend, body, headers)
    assert (opened.type, opened.charge_processor_key, opened.amount) == (
        EventType.DISPUTE_CREATED, result.processor_key, 30000)
    backdoor.backdoor(f"disputes/{dispute['id']}/close", {"status": status})
    [(body, headers)] = backdoor.deliveries(f"payment.dispute.{status}")
    assert parse(backend, body, headers).type is expected


def test_redelivery_has_the_same_event_id(backend, harness):
    body, headers = harness.webhook(EventType.CHARGE_SUCCEEDED, "pay_Unknown0000001", amount=100, currency="inr",
                                    event_id="evt-1")
    assert parse(backend, body, headers).event_id == parse(backend, body, dict(headers)).event_id == "evt-1"


def test_out_of_order_events_keep_their_own_time(backend, harness):
    late = harness.webhook(EventType.CHARGE_FAILED, "pay_Unknown0000001", amount=100, currency="inr",
                           timestamp=1_700_000_000)
    early = harness.webhook(EventType.CHARGE_SUCCEEDED, "pay_Unknown0000001", amount=100, currency="inr",
                            timestamp=1_700_000_100)
    failed, captured = parse(backend, *late), parse(backend, *early)
    assert failed.created_at < captured.created_at


def test_bad_signatures_are_refused(backend, harness):
    body, headers = harness.webhook(EventType.CHARGE_SUCCEEDED, "pay_Unknown0000001", amount=100, currency="inr")
    forged = harness.webhook(EventType.CHARGE_SUCCEEDED, "pay_Unknown0000001", amount=100, currency="inr",
                             secret="not-the-secret")
    with pytest.raises(WebhookVerificationError):
        parse(backend, *forged)
    with pytest.raises(WebhookVerificationError):
        parse(backend, body + b" ", headers)  # the raw body, byte for byte
    with pytest.raises(WebhookVerificationError):
        parse(backend, body, {k: v for k, v in headers.items() if k != "x-razorpay-signature"})
    tampered = json.loads(body)
    tampered["payload"]["payment"]["entity"]["amount"] = 1
    with pytest.raises(WebhookVerificationError):
        parse(backend, json.dumps(tampered).encode(), headers)


def test_without_webhook_secret_every_webhook_is_refused(make_backend, harness):
    backend = make_backend(WEBHOOK_SECRET=None)
    body, headers = harness.webhook(EventType.CHARGE_SUCCEEDED, "pay_Unknown0000001", amount=100, currency="inr")
    with pytest.raises(WebhookVerificationError, match="WEBHOOK_SECRET"):
        parse(backend, body, headers)


def test_signed_garbage_is_refused(backend, harness):
    from razorpay_fake_state import sign

    body = b"not json"
    with pytest.raises(WebhookVerificationError, match="JSON"):
        parse(backend, body, {"x-razorpay-signature": sign(harness.webhook_secret, body)})


def test_delivery_without_event_id_gets_a_stable_one(backend, harness):
    body, headers = harness.webhook(EventType.CHARGE_SUCCEEDED, "pay_Unknown0000001", amount=100, currency="inr")
    headers = {k: v for k, v in headers.items() if k != "x-razorpay-event-id"}
    assert parse(backend, body, headers).event_id == parse(backend, body, headers).event_id


def test_two_disputes_on_one_payment_are_two_events(backend, checkout, subscriber, key, backdoor):
    """A won chargeback, then a pre-arbitration: each its own dispute, kind
    from Razorpay's ``phase``, amount from what Razorpay took or disputes."""
    from payproc.types import DisputeKind

    result, _ = checkout(subscriber, 50000, "inr", key)
    first = backdoor.backdoor("disputes", {"payment_id": result.processor_key, "amount": 30000})
    backdoor.backdoor(f"disputes/{first['id']}/close", {"status": "won"})
    second = backdoor.backdoor("disputes", {"payment_id": result.processor_key, "amount": 20000,
                                            "phase": "pre_arbitration"})
    backdoor.backdoor(f"disputes/{second['id']}/close", {"status": "lost"})
    events = [parse(backend, body, headers) for body, headers in backdoor.deliveries()
              if b'"payment.dispute.' in body]
    assert [(e.type, e.dispute.processor_key, e.dispute.kind, e.amount) for e in events] == [
        (EventType.DISPUTE_CREATED, first["id"], DisputeKind.CHARGEBACK, 30000),
        (EventType.DISPUTE_WON, first["id"], DisputeKind.CHARGEBACK, 30000),
        (EventType.DISPUTE_CREATED, second["id"], DisputeKind.PRE_ARBITRATION, 20000),
        (EventType.DISPUTE_LOST, second["id"], DisputeKind.PRE_ARBITRATION, 20000),
    ]
    assert {e.charge_processor_key for e in events} == {result.processor_key}
    assert len({e.event_id for e in events}) == 4
    lost = events[-1].dispute
    assert (lost.status, lost.currency, lost.fee) == ("lost", "inr", None)


@pytest.mark.parametrize(("phase", "kind"), [("fraud", "inquiry"), ("retrieval", "inquiry"),
                                             ("arbitration", "pre_arbitration"), ("chargeback", "chargeback")])
def test_dispute_phase_decides_the_kind(backend, checkout, subscriber, key, backdoor, phase, kind):
    result, _ = checkout(subscriber, 50000, "inr", key)
    dispute = backdoor.backdoor("disputes", {"payment_id": result.processor_key, "phase": phase})
    backdoor.backdoor(f"disputes/{dispute['id']}/close", {"status": "closed"})
    created, closed = [parse(backend, body, headers) for body, headers in backdoor.deliveries()
                       if b'"payment.dispute.' in body]
    assert created.dispute.kind.value == kind and created.amount == 50000
    assert closed.type is EventType.DISPUTE_CLOSED


def test_transfer_events_name_the_transfer(backend, harness):
    body, headers = harness.webhook(EventType.TRANSFER_FAILED, "pay_Unknown0000001", amount=1000, currency="inr")
    event = parse(backend, body, headers)
    assert event.type is EventType.TRANSFER_FAILED and event.transfer_processor_key.startswith("trf_")
