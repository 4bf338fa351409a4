"""The same idempotency key never charges twice; processor state outlives
a backend instance."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from payproc.errors import CardError, OutcomeUnknown, ProcessorError
from payproc.types import ChargeStatus


def test_same_key_same_params_answers_the_same_charge(backend, account, request_for):
    request = request_for()
    first = backend.call("create_payment", request=request, reference=None)
    again = backend.call("create_payment", request=request, reference=None)
    assert again == first
    assert len(account.list_charges()) == 1
    assert account.requests.count("create_charge") == 2  # both reached the processor


def test_same_key_other_params_is_refused(backend, account, request_for):
    request = request_for()
    backend.call("create_payment", request=request, reference=None)
    changed = request_for(idempotency_key=request.idempotency_key, amount=request.amount + 1)
    with pytest.raises(ProcessorError, match="idempotency key reused with different parameters"):
        backend.call("create_payment", request=changed, reference=None)
    other_token = request_for("tok_other", idempotency_key=request.idempotency_key)
    with pytest.raises(ProcessorError, match="idempotency key reused with different parameters"):
        backend.call("create_payment", request=other_token, reference=None)
    assert len(account.list_charges()) == 1


def test_a_decline_is_replayed_not_retried(backend, account, request_for):
    request = request_for("tok_decline")
    with pytest.raises(CardError) as first:
        backend.call("create_payment", request=request, reference=None)
    with pytest.raises(CardError) as again:
        backend.call("create_payment", request=request, reference=None)
    assert again.value.charge_processor_key == first.value.charge_processor_key
    assert len(account.list_charges()) == 1


def test_retrying_a_timed_out_charge_answers_the_charge_made(backend, account, request_for):
    request = request_for("tok_timeout")
    with pytest.raises(OutcomeUnknown):
        backend.call("create_payment", request=request, reference=None)
    result = backend.call("create_payment", request=request, reference=None)
    [charge] = account.list_charges()
    assert result.processor_key == charge["id"]
    assert result.status is ChargeStatus.SUCCEEDED


def test_distinct_keys_make_distinct_charges(backend, account, request_for):
    one = backend.call("create_payment", request=request_for(), reference=None)
    two = backend.call("create_payment", request=request_for(), reference=None)
    assert one.processor_key != two.processor_key
    assert len(account.list_charges()) == 2


def test_concurrent_retries_with_one_key_make_one_charge(backend, account, request_for):
    request = request_for()
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: backend.call("create_payment", request=request, reference=None), range(16)))
    assert len({result.processor_key for result in results}) == 1
    assert len(account.list_charges()) == 1


def test_a_new_backend_instance_sees_the_same_processor(make_backend, request_for, ref_for):
    request = request_for("tok_timeout")
    with pytest.raises(OutcomeUnknown):
        make_backend().call("create_payment", request=request, reference=None)
    restarted = make_backend()  # the application restarted
    info = restarted.call("retrieve_charge", charge=ref_for(request))
    assert info.status is ChargeStatus.SUCCEEDED
    assert restarted.call("create_payment", request=request, reference=None).processor_key == info.processor_key


def test_accounts_are_separate(make_backend, request_for, ref_for):
    request = request_for()
    make_backend().call("create_payment", request=request, reference=None)
    other = make_backend(ACCOUNT="acct_test_somebody_else")
    try:
        assert other.call("retrieve_charge", charge=ref_for(request)).status is ChargeStatus.NOT_FOUND
    finally:
        from payproc_fake.processor import reset

        reset("acct_test_somebody_else")
