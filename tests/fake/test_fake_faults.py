"""Faults queued on the simulated processor: unreachable, unavailable,
timeout; and the simulated latency."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest
from payproc.errors import OutcomeUnknown
from payproc.types import ChargeStatus


@pytest.mark.parametrize("kind", ["unreachable", "unavailable"])
def test_faults_that_do_nothing(backend, account, request_for, ref_for, kind):
    account.fail_next(kind)
    request = request_for()
    with pytest.raises(OutcomeUnknown):
        backend.call("create_payment", request=request, reference=None)
    assert account.list_charges() == []
    assert backend.call("retrieve_charge", charge=ref_for(request)).status is ChargeStatus.NOT_FOUND
    # The retry, with the same key, goes through: one charge.
    result = backend.call("create_payment", request=request, reference=None)
    assert [c["id"] for c in account.list_charges()] == [result.processor_key]


def test_timeout_does_the_work_then_loses_the_answer(backend, account, request_for, ref_for):
    account.fail_next("timeout")
    request = request_for()
    with pytest.raises(OutcomeUnknown):
        backend.call("create_payment", request=request, reference=None)
    [charge] = account.list_charges()
    assert charge["status"] == "succeeded"
    assert backend.call("retrieve_charge", charge=ref_for(request)).processor_key == charge["id"]
    assert backend.call("create_payment", request=request, reference=None).processor_key == charge["id"]
    assert len(account.list_charges()) == 1


def test_faults_apply_in_order_one_per_request(backend, account, request_for, ref_for):
    account.fail_next("unreachable", "unavailable")
    assert account.pending_faults() == ["unreachable", "unavailable"]
    request = request_for()
    for _ in range(2):
        with pytest.raises(OutcomeUnknown):
            backend.call("create_payment", request=request, reference=None)
    assert account.pending_faults() == []
    backend.call("create_payment", request=request, reference=None)


def test_a_fault_can_wait_for_one_operation(backend, account, request_for, ref_for):
    account.fail_next("unreachable", operation="retrieve_charge")
    request = request_for()
    result = backend.call("create_payment", request=request, reference=None)  # not affected
    with pytest.raises(OutcomeUnknown):
        backend.call("retrieve_charge", charge=ref_for(request, result))
    assert backend.call("retrieve_charge", charge=ref_for(request, result)).status is ChargeStatus.SUCCEEDED


def test_faults_hit_card_and_payout_calls_too(backend, account, subscriber, provider, broker):
    account.fail_next("unavailable")
    with pytest.raises(OutcomeUnknown):
        backend.call("create_or_update_card", subscriber=subscriber, token="tok_visa", provider=provider, broker=broker)
    assert backend.call("list_customers", pattern=".*", broker=broker) == []
    account.fail_next("timeout")
    with pytest.raises(OutcomeUnknown):
        backend.call("create_transfer", provider=provider, amount=10, currency="usd", descr=None, idempotency_key="t")
    again = backend.call("create_transfer", provider=provider, amount=10, currency="usd", descr=None, idempotency_key="t")
    since = datetime(2000, 1, 1, tzinfo=timezone.utc)
    listed = backend.call("reconcile_transfers", provider=provider, since=since, limit_to_one_request=False)
    assert [t.processor_key for t in listed] == [again.processor_key]


def test_unknown_fault_kinds_are_refused(account):
    with pytest.raises(ValueError, match="unknown fault"):
        account.fail_next("explode")


def test_latency_is_spent_on_processor_calls_only(make_backend, request_for, ref_for):
    backend = make_backend(LATENCY_MS=50)
    request = request_for()
    start = time.perf_counter()
    result = backend.call("create_payment", request=request, reference=None)
    assert time.perf_counter() - start >= 0.05
    start = time.perf_counter()
    backend.call("charge_distribution", charge=ref_for(request, result), refunded=0, broker_fee_amount=0)
    assert time.perf_counter() - start < 0.05  # arithmetic: no processor call


def test_latency_does_not_serialize_concurrent_calls(make_backend, request_for):
    backend = make_backend(LATENCY_MS=100)
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: backend.call("create_payment", request=request_for(), reference=None), range(8)))
    assert time.perf_counter() - start < 0.6  # 8 x 100 ms in sequence would be 0.8 s
