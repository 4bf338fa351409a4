"""The contract 1.1 hooks the fake implements for settling and
reconciliation: retrieve_refund, retrieve_transfer, list_payments,
minimum_amount; and what its processor stages by itself (several disputes
with their own figures, a payout the bank returns)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from payproc.errors import OutcomeUnknown, ProcessorError
from payproc.types import ChargeStatus, DisputeKind, EventType, RefundRef, RefundStatus, TransferRef
from payproc_fake.charging import MINIMUM_AMOUNTS
from payproc_fake.webhooks import parse_event


@pytest.fixture
def paid(backend, request_for, ref_for):
    request = request_for(amount=2000)
    return ref_for(request, backend.call("create_payment", request=request, reference=None))


def test_retrieve_refund_finds_a_refund_whose_answer_was_lost(backend, account, paid):
    account.fail_next("timeout", operation="refund")
    with pytest.raises(OutcomeUnknown):
        backend.call("refund_charge", charge=paid, amount=500, broker_amount=0, idempotency_key="lost-1")
    ref = RefundRef(charge=paid, idempotency_key="lost-1", amount=500, created_at=paid.created_at)
    info = backend.call("retrieve_refund", refund=ref)
    assert info.status is RefundStatus.SUCCEEDED
    assert (info.amount, info.currency) == (500, "usd") and info.processor_key.startswith("re_fake_")
    by_key = backend.call("retrieve_refund", refund=replace(ref, processor_key=info.processor_key))
    assert by_key == info


def test_retrieve_refund_answers_not_found_when_the_request_never_arrived(backend, account, paid):
    account.fail_next("unreachable", operation="refund")
    with pytest.raises(OutcomeUnknown):
        backend.call("refund_charge", charge=paid, amount=500, broker_amount=0, idempotency_key="lost-2")
    ref = RefundRef(charge=paid, idempotency_key="lost-2", amount=500, created_at=paid.created_at)
    assert backend.call("retrieve_refund", refund=ref).status is RefundStatus.NOT_FOUND
    assert account.list_charges()[0]["amount_refunded"] == 0
    account.fail_next("unavailable", operation="retrieve_refund")
    with pytest.raises(OutcomeUnknown):
        backend.call("retrieve_refund", refund=ref)


def test_retrieve_transfer_by_key_and_by_id(backend, account, provider):
    ref = TransferRef(provider=provider, idempotency_key="po-1", amount=700, currency="usd",
                      created_at=datetime.now(timezone.utc))
    assert backend.call("retrieve_transfer", transfer=ref) is None
    account.fail_next("timeout", operation="create_payout")
    with pytest.raises(OutcomeUnknown):
        backend.call("create_transfer", provider=provider, amount=700, currency="usd", descr=None,
                     idempotency_key="po-1")
    found = backend.call("retrieve_transfer", transfer=ref)
    assert (found.amount, found.status, found.idempotency_key) == (700, "paid", "po-1")
    assert backend.call("retrieve_transfer", transfer=replace(ref, processor_key=found.processor_key)) == found


def test_a_payout_the_bank_returns_is_failed_and_signed(backend, account, provider, webhook_secret):
    record = backend.call("create_transfer", provider=provider, amount=700, currency="usd", descr=None,
                          idempotency_key="po-2")
    body, headers = account.fail_payout(record.processor_key)
    event = backend.call("parse_webhook", body=body, headers=headers)
    assert event.type is EventType.TRANSFER_FAILED
    assert (event.transfer_processor_key, event.amount, event.charge_processor_key) == (
        record.processor_key, 700, None)
    ref = TransferRef(provider=provider, idempotency_key="po-2", amount=700, currency="usd",
                      created_at=record.created_at)
    assert backend.call("retrieve_transfer", transfer=ref).status == "failed"


def test_list_payments_gives_the_period_with_keys(backend, account, request_for):
    t0 = datetime(2031, 5, 1, tzinfo=timezone.utc)
    ticks = iter(range(100))
    account.clock = lambda: t0 + timedelta(hours=next(ticks))
    made = [backend.call("create_payment", request=request_for(amount=1000 + i, idempotency_key=f"k{i}"),
                         reference=None) for i in range(3)]
    listed = backend.call("list_payments", since=made[1].created_at, until=made[2].created_at)
    assert [(p.processor_key, p.idempotency_key, p.status) for p in listed] == [
        (made[1].processor_key, "k1", ChargeStatus.SUCCEEDED)]
    assert len(backend.call("list_payments", since=t0, until=t0 + timedelta(days=1))) == 3


@pytest.mark.parametrize(("currency", "minimum"), [("usd", 50), ("gbp", 30), ("jpy", 50), ("huf", 17500),
                                                   ("xof", 50)])
def test_minimum_amount_and_the_processor_refuses_less(backend, request_for, account, currency, minimum):
    assert backend.call("minimum_amount", currency=currency) == minimum
    assert MINIMUM_AMOUNTS.get(currency, 50) == minimum
    with pytest.raises(ProcessorError, match="at least"):
        backend.call("create_payment", request=request_for(amount=minimum - 1, currency=currency), reference=None)
    assert account.list_charges() == []
    result = backend.call("create_payment", request=request_for(amount=minimum, currency=currency), reference=None)
    assert result.amount == minimum


def test_several_disputes_carry_their_own_figures(backend, account, paid, webhook_secret):
    body, headers = account.open_dispute(paid.processor_key, amount=800, secret=webhook_secret)
    first = parse_event(body)
    assert first.type is EventType.DISPUTE_CREATED
    assert first.dispute is not None and first.dispute.kind is DisputeKind.CHARGEBACK
    assert (first.dispute.amount, first.dispute.currency, first.dispute.fee) == (800, "usd", 1500)
    won = parse_event(account.close_dispute(paid.processor_key, won=True, secret=webhook_secret)[0])
    assert won.type is EventType.DISPUTE_WON and won.dispute.processor_key == first.dispute.processor_key
    second = parse_event(account.open_dispute(paid.processor_key, kind="pre_arbitration",
                                              secret=webhook_secret)[0])
    assert second.dispute.kind is DisputeKind.PRE_ARBITRATION
    assert second.dispute.processor_key != first.dispute.processor_key
    inquiry = parse_event(account.open_dispute(paid.processor_key, kind="inquiry", secret=webhook_secret)[0])
    assert inquiry.dispute.fee == 0
    closed = parse_event(account.close_dispute(paid.processor_key, status="warning_closed", secret=webhook_secret)[0])
    assert closed.type is EventType.DISPUTE_CLOSED
    assert [d["kind"] for d in account.list_charges()[0]["disputes"]] == ["chargeback", "pre_arbitration", "inquiry"]
    with pytest.raises(ValueError, match="kind"):
        account.open_dispute(paid.processor_key, kind="friendly_fraud", secret=webhook_secret)
