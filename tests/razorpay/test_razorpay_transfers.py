"""Route transfers to a provider's linked account, and their reconciliation."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest
from payproc.errors import InvalidAmount, ProcessorError, ProcessorSetupError
from payproc.types import EventType, ProcessorKeys
from razorpay_helpers import BROKER, PROVIDER

OTHER = dataclasses.replace(PROVIDER, slug="other", keys=ProcessorKeys(deposit_key="acc_Other00000001"))
SINCE = datetime.now(timezone.utc) - timedelta(hours=1)  # noqa: UP017 (3.10)


@pytest.fixture
def funded(checkout, subscriber, key, backdoor):
    checkout(subscriber, 500000, "inr", key)  # ₹5,000 captured: balance 500000 - 11800
    backdoor.backdoor("accounts", {"id": OTHER.keys.deposit_key})
    return backdoor


def transfer(backend, provider, amount, key, currency="inr"):
    return backend.call("create_transfer", provider=provider, amount=amount, currency=currency,
                        descr="payout", idempotency_key=key)


def test_transfer_to_the_linked_account(backend, funded, fake):
    record = transfer(backend, PROVIDER, 100000, "tr-1")
    assert record.processor_key.startswith("trf_") and record.status == "paid"
    assert (record.amount, record.currency, record.description) == (100000, "inr", "payout")
    stored = fake.state.transfers[record.processor_key]
    assert stored["recipient"] == "acc_Provider000001"
    assert (stored["fees"], stored["tax"]) == (295, 45)
    assert fake.state.balance == 500000 - 11800 - 100000 - 295
    [(body, headers)] = funded.deliveries("transfer.processed")
    assert backend.call("parse_webhook", body=body, headers=headers).type is EventType.TRANSFER_PAID


def test_retried_transfer_is_made_once(backend, funded, fake):
    first = transfer(backend, PROVIDER, 100000, "tr-same")
    again = transfer(backend, PROVIDER, 100000, "tr-same")
    assert first.processor_key == again.processor_key and len(fake.state.transfers) == 1


def test_transfer_refusals(backend, funded):
    with pytest.raises(InvalidAmount, match="INR only"):
        transfer(backend, PROVIDER, 1000, "tr-usd", currency="usd")
    with pytest.raises(ProcessorSetupError, match="linked account"):
        transfer(backend, dataclasses.replace(PROVIDER, keys=ProcessorKeys()), 1000, "tr-none")
    with pytest.raises(ProcessorError, match="sufficient balance"):
        transfer(backend, PROVIDER, 10_000_000, "tr-big")
    with pytest.raises(ProcessorError, match="not a linked account"):
        transfer(backend, dataclasses.replace(PROVIDER, keys=ProcessorKeys(deposit_key="acc_Nobody00000001")),
                 1000, "tr-nobody")


def test_reconcile_lists_the_providers_transfers_oldest_first(backend, funded):
    made = [transfer(backend, PROVIDER, 10000 + i, f"tr-{i}") for i in range(3)]
    transfer(backend, OTHER, 5000, "tr-other")
    found = backend.call("reconcile_transfers", provider=PROVIDER, since=SINCE, limit_to_one_request=False)
    assert [r.processor_key for r in found] == [r.processor_key for r in made]
    later = backend.call("reconcile_transfers", provider=PROVIDER, since=datetime.now(timezone.utc)  # noqa: UP017
                         + timedelta(hours=1), limit_to_one_request=True)
    assert later == []


def test_reconcile_pages_through_everything(backend, funded, fake, monkeypatch):
    from payproc_razorpay import transfers

    monkeypatch.setattr(transfers, "PAGE", 2)  # our own page size, not the SDK's
    made = [transfer(backend, PROVIDER, 1000, f"tr-{i}") for i in range(5)]
    found = backend.call("reconcile_transfers", provider=PROVIDER, since=SINCE, limit_to_one_request=False)
    assert sorted(r.processor_key for r in found) == sorted(r.processor_key for r in made)
    one = backend.call("reconcile_transfers", provider=PROVIDER, since=SINCE, limit_to_one_request=True)
    assert len(one) == 2


def test_bank_and_deposit_context(backend, harness):
    bank = backend.call("retrieve_bank", provider=PROVIDER, broker=BROKER, includes_balance=True)
    assert bank.bank_name == "Razorpay Route" and bank.last4 == "***-0001"
    assert backend.call("get_deposit_context", provider=PROVIDER) == {"RAZORPAY_PUB_KEY": harness.key_id}


def test_transfers_send_a_stable_idempotency_header_that_fits(backend, funded, fake):
    """The core's key is stable per intended payout; Razorpay takes 4-36
    characters: a longer key is hashed, the same key always to the same value."""
    long_key = "payout:provider:2026-12-03:" + "x" * 40
    first = transfer(backend, PROVIDER, 10000, long_key)
    again = transfer(backend, PROVIDER, 10000, long_key)
    assert first.processor_key == again.processor_key and len(fake.state.transfers) == 1
    sent = [headers.get("X-Transfer-Idempotency") for method, path, headers in fake.state.request_headers
            if (method, path) == ("POST", "/v1/transfers")]
    assert len(sent) == 2 and sent[0] == sent[1] and 4 <= len(sent[0]) <= 36
    assert first.idempotency_key == long_key
    short = transfer(backend, PROVIDER, 10000, "tr-short-key")
    assert fake.state.request_headers[-1][2]["X-Transfer-Idempotency"] == "tr-short-key"
    assert short.processor_key != first.processor_key
    assert ("GET", "/v1/transfers") not in [(m, p) for m, p, _ in fake.state.request_headers], \
        "no scanning of earlier transfers before paying"


def test_retrieve_transfer_by_id_and_by_key(backend, funded, fake):
    from payproc.types import TransferRef

    record = transfer(backend, PROVIDER, 20000, "tr-lost-answer")
    made_at = record.created_at
    by_key = backend.call("retrieve_transfer", transfer=TransferRef(
        provider=PROVIDER, idempotency_key="tr-lost-answer", amount=20000, currency="inr", created_at=made_at))
    by_id = backend.call("retrieve_transfer", transfer=TransferRef(
        provider=PROVIDER, idempotency_key="tr-lost-answer", amount=20000, currency="inr", created_at=made_at,
        processor_key=record.processor_key))
    assert by_key == by_id and by_key.processor_key == record.processor_key and by_key.status == "paid"
    never = backend.call("retrieve_transfer", transfer=TransferRef(
        provider=PROVIDER, idempotency_key="tr-never-sent", amount=20000, currency="inr", created_at=made_at))
    assert never is None


def test_a_transfer_whose_answer_was_lost_is_found_and_not_paid_twice(backend, funded, fake):
    from payproc.errors import OutcomeUnknown
    from payproc.types import TransferRef

    funded.backdoor("faults", {"method": "POST", "path": "/v1/transfers", "mode": "timeout", "delay": 1.5})
    before = fake.state.balance
    with pytest.raises(OutcomeUnknown):
        transfer(backend, PROVIDER, 30000, "tr-timeout")
    found = backend.call("retrieve_transfer", transfer=TransferRef(
        provider=PROVIDER, idempotency_key="tr-timeout", amount=30000, currency="inr",
        created_at=datetime.now(timezone.utc)))  # noqa: UP017 (3.10)
    assert found is not None and found.amount == 30000
    retried = transfer(backend, PROVIDER, 30000, "tr-timeout")
    assert retried.processor_key == found.processor_key
    from payproc_razorpay.transfers import transfer_fee

    assert fake.state.balance == before - 30000 - transfer_fee(30000)  # paid once
