"""Razorpay's failures mapped to payproc's errors, through the real SDK."""

from __future__ import annotations

import socket

import pytest
from payproc.errors import OutcomeUnknown, ProcessorError, ProcessorSetupError
from razorpay_helpers import BROKER, PROVIDER, request_for


def context(backend, subscriber, key, amount=50000):
    return backend.call("get_payment_context", subscriber=subscriber, amount=amount, currency="inr",
                        provider=PROVIDER, broker=BROKER, broker_fee_amount=0, return_url=None, idempotency_key=key)


def test_wrong_keys_are_a_setup_error_without_the_secret(make_backend, subscriber, key):
    backend = make_backend(PRIV_KEY="definitely-wrong-secret")
    with pytest.raises(ProcessorSetupError) as caught:
        context(backend, subscriber, key)
    assert "Authentication failed" in str(caught.value)
    assert caught.value.provider == PROVIDER.slug
    assert "definitely-wrong-secret" not in str(caught.value) + repr(caught.value)


@pytest.mark.parametrize("mode", ["server_error", "gateway_error"])
def test_server_and_gateway_errors_are_unknown_outcomes(backend, backdoor, subscriber, key, mode):
    backdoor.backdoor("faults", {"method": "POST", "path": "/v1/orders", "mode": mode})
    with pytest.raises(OutcomeUnknown):
        context(backend, subscriber, key)


def test_timeout_is_an_unknown_outcome(backend, backdoor, subscriber, key):
    backdoor.backdoor("faults", {"method": "GET", "path": "/v1/orders", "mode": "timeout", "delay": 1.5})
    with pytest.raises(OutcomeUnknown, match="Timeout"):
        context(backend, subscriber, key)


def test_unreachable_razorpay_is_an_unknown_outcome(make_backend, subscriber, key):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    backend = make_backend(API_BASE=f"http://127.0.0.1:{port}")
    with pytest.raises(OutcomeUnknown, match="ConnectionError"):
        context(backend, subscriber, key)


def test_other_refusals_are_processor_errors(backend, subscriber, key):
    """A currency Razorpay does not take: payproc knows it, Razorpay refuses it."""
    with pytest.raises(ProcessorError, match="not supported") as caught:
        backend.call("get_payment_context", subscriber=subscriber, amount=50000, currency="ngn",
                     provider=PROVIDER, broker=BROKER, broker_fee_amount=0, return_url=None, idempotency_key=key)
    assert type(caught.value) is ProcessorError


def test_capture_that_fails_after_a_server_error_is_unknown(backend, backdoor, subscriber, key, harness):
    ctx = context(backend, subscriber, key)
    token, fields = backdoor.pay(ctx, 50000, "inr")
    backdoor.backdoor("faults", {"method": "POST", "path": f"/v1/payments/{token}/capture", "mode": "server_error"})
    with pytest.raises(OutcomeUnknown):
        backend.call("create_payment", request=request_for(subscriber, 50000, "inr", key, token, dict(fields)),
                     reference=ctx.reference)
    # The retry finds the payment captured and does not capture again.
    result = backend.call("create_payment", request=request_for(subscriber, 50000, "inr", key, token, dict(fields)),
                          reference=ctx.reference)
    assert result.processor_key == token
    assert [c["status"] for c in harness.processor_charges(key)] == ["succeeded"]
