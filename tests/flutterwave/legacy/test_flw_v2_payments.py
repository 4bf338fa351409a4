"""Payment context and create_payment, end to end through rave_python over
HTTP against the fake (or the sandbox: scenario tests use only the harness)."""

from __future__ import annotations

import pytest
from payproc.errors import (
    CardError,
    IntegrityMismatch,
    OutcomeUnknown,
    ProcessorSetupError,
)
from payproc.types import ChargeStatus
from payproc_flutterwave.refs import tx_ref_for
from payproc_flutterwave_legacy_tests_fakeserver import VERIFY, Fault
from payproc_flutterwave_legacy_tests_harness import LEGACY_BACKEND
from payproc_flutterwave_tests_helpers import SUBSCRIBER, context, new_key, pay, request


@pytest.mark.parametrize(
    ("amount", "currency", "major", "code"),
    [(1050, "ngn", "10.50", "NGN"), (1500, "jpy", "1500", "JPY"), (1234, "kwd", "1.234", "KWD"),
     (1, "usd", "0.01", "USD"), (10**10, "ngn", "100000000.00", "NGN")],
)
def test_context_carries_exact_major_amount_and_upper_case_currency(backend, amount, currency, major, code):
    key = new_key()
    ctx = context(backend, amount, currency, key)
    assert ctx.values["amount"] == major and isinstance(ctx.values["amount"], str)
    assert ctx.values["currency"] == code
    assert ctx.values["PBFPubKey"] == ctx.values["FLUTTERWAVE_PUB_KEY"] == backend.settings.PUB_KEY
    assert ctx.values["customer_email"] == SUBSCRIBER.email
    assert ctx.reference == ctx.values["txref"] == tx_ref_for(key)
    assert not any("SECK" in str(value) for value in ctx.values.values())


def test_tx_ref_is_stable_per_charge_and_unique_across_charges(backend):
    key = new_key()
    assert context(backend, 1000, "ngn", key).reference == context(backend, 1000, "ngn", key).reference
    assert context(backend, 1000, "ngn", key).reference != context(backend, 1000, "ngn", new_key()).reference
    no_key = [backend.call("get_payment_context", subscriber=SUBSCRIBER, amount=1000, currency="ngn",
                           provider=SUBSCRIBER, broker=SUBSCRIBER, broker_fee_amount=0,
                           idempotency_key=None, return_url=None).reference for _ in range(2)]
    assert no_key[0] != no_key[1] and all(no_key)


def test_card_update_context_has_no_reference(backend):
    ctx = backend.call("get_payment_context", subscriber=SUBSCRIBER, amount=None, currency=None,
                       provider=SUBSCRIBER, broker=SUBSCRIBER, broker_fee_amount=0, idempotency_key=None,
                       return_url=None)
    assert ctx.reference is None and "amount" not in ctx.values


@pytest.mark.parametrize(("amount", "currency"), [(250000, "ngn"), (1500, "jpy"), (1234, "kwd")])
def test_successful_payment(backend, payproc_harness, amount, currency):
    result, key, _ctx = pay(backend, payproc_harness, amount, currency)
    assert result.status is ChargeStatus.SUCCEEDED
    assert (result.amount, result.currency) == (amount, currency)
    assert result.processor_key.startswith("FLW")
    if not payproc_harness.sandbox:
        [charge] = payproc_harness.processor_charges(key)
        assert charge["id"] == result.processor_key
        assert (charge["amount"], charge["currency"], charge["status"]) == (amount, currency, "successful")
        assert result.receipt.last4 == "2950" and result.receipt.brand == "MASTERCARD"


def test_declined_payment_is_a_card_error_with_flutterwave_code_and_flwref(backend, payproc_harness):
    with pytest.raises(CardError) as caught:
        pay(backend, payproc_harness, 5000, "ngn", outcome="decline")
    assert caught.value.code
    assert caught.value.charge_processor_key and caught.value.charge_processor_key.startswith("FLW")
    if not payproc_harness.sandbox:
        assert caught.value.code == "05"
        assert caught.value.message == "Declined by issuer"


def test_verify_uses_the_stored_reference_not_the_token(backend, fake):
    key = new_key()
    ctx = context(backend, 1000, "ngn", key)
    fake.create_transaction(ctx.reference, "10.00", "NGN")
    result = backend.call("create_payment", request=request(1000, "ngn", key, token="forged-by-the-browser"),
                          reference=ctx.reference)
    assert result.status is ChargeStatus.SUCCEEDED
    # without a stored reference the tx_ref is derived from the idempotency key
    again = backend.call("create_payment", request=request(1000, "ngn", key), reference=None)
    assert again.processor_key == result.processor_key


def test_no_transaction_for_the_reference_is_a_card_error(backend, fake):
    key = new_key()
    ctx = context(backend, 1000, "ngn", key)
    with pytest.raises(CardError) as caught:
        backend.call("create_payment", request=request(1000, "ngn", key), reference=ctx.reference)
    assert caught.value.code == "NO TX"
    assert caught.value.charge_processor_key is None


@pytest.mark.parametrize(("paid", "currency", "code"), [("9.99", "NGN", "amount_mismatch"),
                                                         ("10.001", "NGN", "amount_mismatch"),
                                                         ("10.00", "GHS", "currency_mismatch")])
def test_tampered_amount_or_currency_is_refused(backend, fake, paid, currency, code):
    """The browser controls what Inline charges: a successful transaction for
    another amount or currency must not complete the charge."""
    key = new_key()
    ctx = context(backend, 1000, "ngn", key)
    created = fake.create_transaction(ctx.reference, paid, currency)
    with pytest.raises(CardError) as caught:
        backend.call("create_payment", request=request(1000, "ngn", key), reference=ctx.reference)
    assert isinstance(caught.value, IntegrityMismatch)
    assert caught.value.code == code
    assert caught.value.charge_processor_key == created.flwref


def test_pending_transaction_is_reported_pending(backend, fake):
    key = new_key()
    ctx = context(backend, 1000, "ngn", key)
    fake.create_transaction(ctx.reference, "10.00", "NGN", status="success-pending-validation", chargecode="02")
    result = backend.call("create_payment", request=request(1000, "ngn", key), reference=ctx.reference)
    assert result.status is ChargeStatus.PENDING


def test_lost_answer_is_outcome_unknown_then_settled_by_retrieve(backend, payproc_harness, fake):
    key = new_key()
    ctx = context(backend, 1000, "ngn", key)
    payproc_harness.pay(ctx, 1000, "ngn", outcome="unknown")
    with pytest.raises(OutcomeUnknown):
        backend.call("create_payment", request=request(1000, "ngn", key), reference=ctx.reference)
    from payproc_flutterwave_tests_helpers import charge_ref

    info = backend.call("retrieve_charge", charge=charge_ref(None, 1000, "ngn", key))
    assert info.status is ChargeStatus.SUCCEEDED and info.processor_key.startswith("FLW")


@pytest.mark.parametrize("fault", [Fault(status=500, body={"status": "error", "message": "Internal error", "data": None}),
                                   Fault(status=503, body={"status": "error", "message": "Service unavailable"}),
                                   Fault(status=502, body="<html>Bad gateway</html>"),
                                   Fault(status=200, body="not json at all"),
                                   Fault(status=429, body={"status": "error", "message": "Too many requests"})])
def test_server_errors_are_outcome_unknown(backend, fake, fault):
    key = new_key()
    ctx = context(backend, 1000, "ngn", key)
    fake.create_transaction(ctx.reference, "10.00", "NGN")
    fake.add_fault(VERIFY, fault)
    with pytest.raises(OutcomeUnknown):
        backend.call("create_payment", request=request(1000, "ngn", key), reference=ctx.reference)


def test_stalled_api_is_outcome_unknown_after_timeout(backend_with, fake):
    """rave_python sets no timeout: the backend's deadline bounds the call."""
    import time

    backend = backend_with(TIMEOUT=0.5)
    key = new_key()
    ctx = context(backend, 1000, "ngn", key)
    fake.create_transaction(ctx.reference, "10.00", "NGN")
    fake.add_fault(VERIFY, Fault(delay=2.0))
    started = time.monotonic()
    with pytest.raises(OutcomeUnknown, match="within 0.5 s"):
        backend.call("create_payment", request=request(1000, "ngn", key), reference=ctx.reference)
    assert time.monotonic() - started < 1.5


def test_unreachable_api_is_outcome_unknown(make_backend, fake_server):
    import socket

    from payproc_flutterwave_legacy_tests_fakeserver import PUB_KEY, SEC_KEY

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = make_backend({"BACKEND": LEGACY_BACKEND, "PUB_KEY": PUB_KEY, "PRIV_KEY": SEC_KEY,
                            "API_BASE": f"http://127.0.0.1:{port}/", "TIMEOUT": 5.0})
    key = new_key()
    with pytest.raises(OutcomeUnknown, match="could not reach"):
        backend.call("create_payment", request=request(1000, "ngn", key), reference=None)


def test_wrong_secret_key_is_a_setup_error_that_does_not_show_the_key(backend_with, fake):
    backend = backend_with(PRIV_KEY="FLWSECK_TEST-wrongwrongwrongwrong-X")
    key = new_key()
    ctx = context(backend, 1000, "ngn", key)
    fake.create_transaction(ctx.reference, "10.00", "NGN")
    with pytest.raises(ProcessorSetupError) as caught:
        backend.call("create_payment", request=request(1000, "ngn", key), reference=ctx.reference)
    assert "wrongwrong" not in str(caught.value) and "wrongwrong" not in repr(caught.value)
