"""The v3 client: the key as a Bearer token, timeouts, no proxies from the
environment, and Flutterwave's answers mapped to payproc's errors."""

from __future__ import annotations

import socket
import time

import pytest
from payproc.errors import OutcomeUnknown, ProcessorError, ProcessorSetupError
from payproc_flutterwave_tests_fakeserver import PUB_KEY, SEC_KEY, VERIFY, VERIFY_BY_REF, Fault
from payproc_flutterwave_tests_helpers import context, new_key, request


def _paid(backend, fake):
    key = new_key()
    ctx = context(backend, 1000, "ngn", key)
    paid = fake.pay(ctx.reference, "10.00", "ngn")
    return key, ctx, paid


def _create(backend, key, ctx, paid):
    return backend.call("create_payment", request=request(1000, "ngn", key, str(paid.id)), reference=ctx.reference)


@pytest.mark.parametrize("fault", [
    Fault(status=500, body={"status": "error", "message": "Internal error", "data": None}),
    Fault(status=503, body={"status": "error", "message": "Service unavailable"}),
    Fault(status=502, body="<html>Bad gateway</html>"),
    Fault(status=504),
    Fault(status=200, body="not json at all"),
    Fault(status=200, body={"status": "success", "message": "Transaction fetched successfully", "data": None}),
    Fault(status=429, body={"status": "error", "message": "Too many requests"}),
])
def test_answers_that_say_nothing_are_outcome_unknown(backend, fake, fault):
    key, ctx, paid = _paid(backend, fake)
    fake.add_fault(VERIFY, fault)
    with pytest.raises(OutcomeUnknown):
        _create(backend, key, ctx, paid)


def test_other_refusals_are_processor_errors_with_flutterwaves_message(backend, fake):
    key, ctx, paid = _paid(backend, fake)
    fake.add_fault(VERIFY, Fault(status=400, body={"status": "error", "message": "Invalid transaction id",
                                                   "data": None}))
    with pytest.raises(ProcessorError, match="Invalid transaction id") as caught:
        _create(backend, key, ctx, paid)
    assert not isinstance(caught.value, (OutcomeUnknown, ProcessorSetupError))


def test_the_secret_key_is_sent_as_a_bearer_token_and_a_wrong_one_is_a_setup_error(backend_with, fake):
    backend = backend_with(PRIV_KEY="FLWSECK_TEST-wrongwrongwrongwrong-X")
    key, ctx, paid = _paid(backend, fake)
    with pytest.raises(ProcessorSetupError) as caught:
        _create(backend, key, ctx, paid)
    assert "wrongwrong" not in str(caught.value) and "wrongwrong" not in repr(caught.value)
    assert fake.count(VERIFY) == 1  # the fake answered 401: the header was not the account's key


def test_a_stalled_api_is_outcome_unknown_after_the_timeout(backend_with, fake):
    backend = backend_with(TIMEOUT=0.5)
    key, ctx, paid = _paid(backend, fake)
    fake.add_fault(VERIFY, Fault(delay=2.0, after=True, status=200, body={"status": "success"}))
    started = time.monotonic()
    with pytest.raises(OutcomeUnknown, match="within 0.5 s"):
        _create(backend, key, ctx, paid)
    assert time.monotonic() - started < 1.8


def test_an_unreachable_api_is_outcome_unknown(make_backend):
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = make_backend({"BACKEND": "flutterwave", "PUB_KEY": PUB_KEY, "PRIV_KEY": SEC_KEY,
                            "API_BASE": f"http://127.0.0.1:{port}/", "TIMEOUT": 5.0})
    with pytest.raises(OutcomeUnknown, match="could not reach"):
        backend.call("create_payment", request=request(1000, "ngn", new_key(), None), reference=None)


def test_proxies_from_the_environment_are_not_used(backend, fake, monkeypatch):
    """No side channel: an HTTP(S)_PROXY in the environment does not reroute
    the secret key (the proxy here is a closed loopback port)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, closed)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    key, ctx, paid = _paid(backend, fake)
    assert _create(backend, key, ctx, paid).processor_key == str(paid.id)


def test_one_client_per_backend_instance(backend_with, fake):
    first, second = backend_with(), backend_with(PRIV_KEY="FLWSECK_TEST-other-X")
    assert first.impl.api is not second.impl.api
    assert first.impl.api.http is first.impl.api.http  # built once, reused
    assert SEC_KEY not in repr(first.impl.api)


def test_the_verify_by_reference_query_is_encoded(backend, fake):
    """A tx_ref is sent as a query parameter, never pasted into the URL."""
    odd = "payproc-a&tx_ref=other#x y"
    paid = fake.pay(odd, "10.00", "ngn")
    fake.pay("other", "99.00", "ngn")
    assert backend.impl._verify(odd).tx_id == str(paid.id)
    assert fake.count(VERIFY_BY_REF) == 1
