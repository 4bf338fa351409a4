"""A smoke test against Razorpay's test mode: real HTTP to api.razorpay.com
with test keys, no payment made (Checkout needs a browser).

Run it with ``RAZORPAY_TEST_KEY_ID`` / ``RAZORPAY_TEST_KEY_SECRET`` (a
``rzp_test_…`` key pair) set, and the loopback-only socket guard lifted::

    RAZORPAY_TEST_KEY_ID=rzp_test_… RAZORPAY_TEST_KEY_SECRET=… \\
        python -m pytest -o addopts="" -rs tests/razorpay/test_razorpay_live.py

Without the keys every test here is skipped and says why (``-rs``).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from payproc.errors import ProcessorSetupError
from payproc.types import ChargeStatus
from razorpay_helpers import BROKER, PROVIDER, charge_ref

NO_KEYS = ("RAZORPAY_TEST_KEY_ID/RAZORPAY_TEST_KEY_SECRET are not set: nothing is run against Razorpay's "
           "test mode (these tests need a rzp_test_ key pair and the network)")


@pytest.fixture
def live(harness):
    if not harness.live:
        pytest.skip(NO_KEYS)
    return harness


def test_an_order_is_created_found_again_and_awaits_the_customer(live, backend, subscriber):
    key = f"payproc-smoke-{uuid.uuid4().hex[:12]}"
    context = backend.call("get_payment_context", subscriber=subscriber, amount=100, currency="inr",
                           provider=PROVIDER, broker=BROKER, broker_fee_amount=0, return_url=None, idempotency_key=key)
    assert context.reference.startswith("order_") and context.values["key"] == live.key_id
    again = backend.call("get_payment_context", subscriber=subscriber, amount=100, currency="inr",
                         provider=PROVIDER, broker=BROKER, broker_fee_amount=0, return_url=None, idempotency_key=key)
    assert again.reference == context.reference, "the order is found again by its receipt"
    info = backend.call("retrieve_charge", charge=charge_ref(subscriber, 100, "inr", key, None,
                                                             reference=context.reference))
    assert info.status is ChargeStatus.AWAITING_CUSTOMER


def test_razorpay_refuses_an_order_under_its_minimum(live):
    import razorpay

    client = razorpay.Client(auth=(live.key_id, live.key_secret))
    with pytest.raises(razorpay.errors.BadRequestError):
        client.order.create({"amount": 99, "currency": "INR"})


def test_wrong_secret_is_a_setup_error(live, make_backend, subscriber):
    backend = make_backend(PRIV_KEY="not-the-secret")
    with pytest.raises(ProcessorSetupError):
        backend.call("get_payment_context", subscriber=subscriber, amount=100, currency="inr", provider=PROVIDER,
                     broker=BROKER, broker_fee_amount=0, return_url=None, idempotency_key=f"payproc-smoke-{uuid.uuid4().hex[:8]}")


def test_list_payments_reads_the_last_day(live, backend):
    now = datetime.now(timezone.utc)  # noqa: UP017 (3.10)
    found = backend.call("list_payments", since=now - timedelta(days=1), until=now)
    assert all(info.processor_key.startswith("pay_") for info in found)
