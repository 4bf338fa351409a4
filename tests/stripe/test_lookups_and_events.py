"""Settling refunds and payouts whose answer was lost (retrieve_refund,
retrieve_transfer), and the dispute and payout webhooks with Stripe's own
figures."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from fakestripe_state import DISPUTE_FEE, export
from payproc.errors import OutcomeUnknown
from payproc.types import (
    ChargeRef,
    DisputeKind,
    EventType,
    PaymentRequest,
    RefundRef,
    RefundStatus,
    TransferRef,
    TransferStatus,
)
from stripe_world import World


def _paid(world, key, amount=2000):
    request = PaymentRequest(amount=amount, currency="usd", customer=world.subscriber, provider=world.broker,
                             broker=world.broker, idempotency_key=key, token="pm_card_visa")
    result = world.call("create_payment", request=request, reference=None)
    return ChargeRef(processor_key=result.processor_key, amount=amount, currency="usd", idempotency_key=key,
                     created_at=datetime.now(timezone.utc), customer=world.subscriber, provider=world.broker,
                     broker=world.broker)


def _refund_ref(charge, key, amount, processor_key=None):
    return RefundRef(charge=charge, idempotency_key=key, amount=amount, created_at=datetime.now(timezone.utc),
                     processor_key=processor_key)


def test_a_refund_whose_answer_was_lost_is_found_by_its_key(world):
    charge = _paid(world, "rr-1")
    world.server.fail_next("POST", "^/v1/refunds$", status=500, after=True)
    with pytest.raises(OutcomeUnknown):
        world.call("refund_charge", charge=charge, amount=500, broker_amount=0, idempotency_key="rr-1:r1")
    found = world.call("retrieve_refund", refund=_refund_ref(charge, "rr-1:r1", 500))
    assert (found.status, found.amount, found.currency) == (RefundStatus.SUCCEEDED, 500, "usd")
    assert found.processor_key.startswith("re_")
    assert world.call("retrieve_refund", refund=_refund_ref(charge, "rr-1:r1", 500, found.processor_key)) == found
    assert not [r for r in world.server.requests if r["path"].startswith("/v1/payment_intents/search")]


def test_a_refund_stripe_never_got_is_not_found(world):
    charge = _paid(world, "rr-2")
    world.server.fail_next("POST", "^/v1/refunds$", status=503, after=False)
    with pytest.raises(OutcomeUnknown):
        world.call("refund_charge", charge=charge, amount=500, broker_amount=0, idempotency_key="rr-2:r1")
    assert world.call("retrieve_refund", refund=_refund_ref(charge, "rr-2:r1", 500)).status == RefundStatus.NOT_FOUND
    assert world.call("retrieve_refund", refund=_refund_ref(charge, "x", 1, "re_gone")).status == (
        RefundStatus.NOT_FOUND)


def test_payouts_carry_the_stable_key_and_are_found_by_it(fake_stripe):
    world = World(fake_stripe, mode=1)
    world.provider_account.credit("usd", 10_000)
    fake_stripe.fail_next("POST", "^/v1/payouts$", status=500, after=True)
    with pytest.raises(OutcomeUnknown):
        world.call("create_transfer", provider=world.provider, amount=1000, currency="usd", descr=None,
                   idempotency_key="po-key-1")
    ref = TransferRef(provider=world.provider, idempotency_key="po-key-1", amount=1000, currency="usd",
                      created_at=datetime.now(timezone.utc))
    found = world.call("retrieve_transfer", transfer=ref)
    assert (found.amount, found.status, found.idempotency_key) == (1000, TransferStatus.PENDING.value, "po-key-1")
    # the application's retry with the same key replays the payout: one payout, paid once
    again = world.call("create_transfer", provider=world.provider, amount=1000, currency="usd", descr=None,
                       idempotency_key="po-key-1")
    assert again.processor_key == found.processor_key and world.provider_account.balance["usd"] == 9000
    other = TransferRef(provider=world.provider, idempotency_key="po-never", amount=1, currency="usd",
                        created_at=datetime.now(timezone.utc) - timedelta(minutes=5))
    assert world.call("retrieve_transfer", transfer=other) is None


@pytest.mark.parametrize("outcome,expected", [("paid", EventType.TRANSFER_PAID), ("failed", EventType.TRANSFER_FAILED)])
def test_payout_webhooks_name_the_payout(fake_stripe, outcome, expected):
    world = World(fake_stripe, mode=1)
    world.provider_account.credit("usd", 5000)
    made = world.call("create_transfer", provider=world.provider, amount=1200, currency="usd", descr=None,
                      idempotency_key=f"po-{outcome}")
    payout = fake_stripe.state.payout_outcome(world.provider_account, made.processor_key, outcome)
    body, headers = world.harness.signed(f"payout.{outcome}", export(payout), account=world.provider_account.id)
    event = world.call("parse_webhook", body=body, headers=headers)
    assert (event.type, event.transfer_processor_key, event.amount) == (expected, made.processor_key, 1200)
    ref = TransferRef(provider=world.provider, idempotency_key=f"po-{outcome}", amount=1200, currency="usd",
                      created_at=datetime.now(timezone.utc), processor_key=made.processor_key)
    assert world.call("retrieve_transfer", transfer=ref).status == outcome
    # a failed payout puts the money back on the provider's balance
    assert world.provider_account.balance["usd"] == (5000 if outcome == "failed" else 3800)


def _event(world, kind, dispute):
    body, headers = world.harness.signed(kind, export(dispute))
    return world.call("parse_webhook", body=body, headers=headers)


def test_an_inquiry_moves_no_money_and_closes_without_a_chargeback(world):
    charge = _paid(world, "dp-1")
    dispute = world.server.state.dispute(world.server.platform, charge.processor_key, "warning_needs_response")
    event = _event(world, "charge.dispute.created", dispute)
    assert event.type == EventType.DISPUTE_CREATED and event.charge_processor_key == charge.processor_key
    assert (event.dispute.kind, event.dispute.fee, event.dispute.amount) == (DisputeKind.INQUIRY, 0, 2000)
    closed = world.server.state.dispute(world.server.platform, charge.processor_key, "warning_closed")
    event = _event(world, "charge.dispute.closed", closed)
    assert event.type == EventType.DISPUTE_CLOSED and event.dispute.kind == DisputeKind.INQUIRY


def test_a_partial_chargeback_with_stripes_fee_then_won(world):
    charge = _paid(world, "dp-2")
    dispute = world.server.state.dispute(world.server.platform, charge.processor_key, "needs_response", amount=700)
    event = _event(world, "charge.dispute.created", dispute)
    assert (event.dispute.kind, event.dispute.amount, event.dispute.fee) == (DisputeKind.CHARGEBACK, 700, DISPUTE_FEE)
    assert event.amount == 700 and event.dispute.processor_key == dispute["id"]
    won = world.server.state.dispute(world.server.platform, charge.processor_key, "won")
    event = _event(world, "charge.dispute.closed", won)
    assert event.type == EventType.DISPUTE_WON and event.dispute.status == "won"


@pytest.mark.parametrize("status,expected", [("lost", EventType.DISPUTE_LOST), ("prevented", EventType.DISPUTE_CLOSED)])
def test_closed_chargebacks(world, status, expected):
    charge = _paid(world, f"dp-{status}")
    world.server.state.dispute(world.server.platform, charge.processor_key, "under_review")
    closed = world.server.state.dispute(world.server.platform, charge.processor_key, status)
    assert _event(world, "charge.dispute.closed", closed).type == expected


def test_payment_intent_events_are_keyed_by_the_intent(world):
    request = PaymentRequest(amount=2000, currency="usd", customer=world.subscriber, provider=world.broker,
                             broker=world.broker, idempotency_key="pie", token="pm_card_threeDSecure2Required")
    result = world.call("create_payment", request=request, reference=None)
    intent = world.server.platform.objects[result.processor_key]
    event = _event(world, "payment_intent.requires_action", intent)
    assert (event.type, event.charge_processor_key) == (EventType.CHARGE_REQUIRES_ACTION, result.processor_key)
    assert event.next_action.values["client_secret"] == intent["client_secret"]
    world.harness.answer_challenge(result.processor_key, "complete")
    assert _event(world, "payment_intent.succeeded", intent).type == EventType.IGNORED  # charge.succeeded says it
    charge = world.server.platform.objects[intent["latest_charge"]]
    event = _event(world, "charge.succeeded", charge)
    assert (event.type, event.charge_processor_key, event.amount) == (EventType.CHARGE_SUCCEEDED,
                                                                      result.processor_key, 2000)
