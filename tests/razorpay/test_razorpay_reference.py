"""``retrieve_charge`` goes by the order the core stored with the charge
(``ChargeRef.reference``), never by another order of the same amount; and a
race for one receipt (Razorpay refuses the second) ends on one order."""

from __future__ import annotations

import pytest
from payproc.types import ChargeStatus, PaymentContext
from payproc_razorpay.amounts import receipt_for
from razorpay_helpers import BROKER, PROVIDER, charge_ref


@pytest.fixture
def stored_and_racing(backend, backdoor, fake, subscriber, key):
    """The order the core stored for the charge, and another, newer order
    for the same amount (another charge's, or one opened outside payproc)."""
    context = backend.call("get_payment_context", subscriber=subscriber, amount=50000, currency="inr",
                           provider=PROVIDER, broker=BROKER, broker_fee_amount=0, return_url=None, idempotency_key=key)
    with fake.state.lock:
        racing = fake.state.create_order({"amount": 50000, "currency": "INR", "receipt": receipt_for(key + "-x")})
        racing["created_at"] += 1  # strictly newer, whatever the clock's second
    return context, racing


def _on(order):
    """A Checkout page for ``order``."""
    return PaymentContext(values={"order_id": order["id"]}, reference=order["id"])


def _requests_since(backdoor, start):
    return backdoor.requests_made()[start:]


def test_the_stored_order_is_read_by_its_id(backend, backdoor, fake, subscriber, key, stored_and_racing):
    context, _racing = stored_and_racing
    token, _ = backdoor.pay(context, 50000, "inr")  # authorized, not captured: the browser never came back
    start = len(backdoor.requests_made())
    info = backend.call("retrieve_charge", charge=charge_ref(subscriber, 50000, "inr", key, None,
                                                             reference=context.reference))
    assert (info.status, info.processor_key) == (ChargeStatus.SUCCEEDED, token)
    assert fake.state.payments[token]["captured"], "the late authorization of the stored order is captured"
    made = _requests_since(backdoor, start)
    assert ("GET", f"/v1/orders/{context.reference}") in made
    assert ("GET", "/v1/orders") not in made, "no search by receipt when the order is known"


def test_without_a_reference_the_receipt_is_searched(backend, backdoor, subscriber, key):
    """Charges stored without a reference are still found (the fallback)."""
    context = backend.call("get_payment_context", subscriber=subscriber, amount=50000, currency="inr",
                           provider=PROVIDER, broker=BROKER, broker_fee_amount=0, return_url=None, idempotency_key=key)
    token, _ = backdoor.pay(context, 50000, "inr")
    start = len(backdoor.requests_made())
    info = backend.call("retrieve_charge", charge=charge_ref(subscriber, 50000, "inr", key, None))
    assert (info.status, info.processor_key) == (ChargeStatus.SUCCEEDED, token)
    assert ("GET", "/v1/orders") in _requests_since(backdoor, start)


def test_a_payment_on_the_racing_order_is_not_captured(backend, backdoor, fake, subscriber, key, stored_and_racing):
    """Same receipt, same amount, but not the order the core stored: never
    captured as this charge's, and no order search is needed to say so."""
    context, racing = stored_and_racing
    token, _ = backdoor.pay(_on(racing), 50000, "inr")
    start = len(backdoor.requests_made())
    info = backend.call("retrieve_charge", charge=charge_ref(subscriber, 50000, "inr", key, token,
                                                             reference=context.reference))
    assert info.status is ChargeStatus.PENDING
    assert not fake.state.payments[token]["captured"]
    assert [path for _, path in _requests_since(backdoor, start) if path.startswith("/v1/orders")] == []


def test_a_stored_order_razorpay_does_not_know_is_not_found(backend, backdoor, subscriber, key, stored_and_racing):
    """The racing order has the charge's receipt, but the stored order is
    what the charge was paid on: another one never stands in for it."""
    _context, racing = stored_and_racing
    backdoor.pay(_on(racing), 50000, "inr")
    info = backend.call("retrieve_charge", charge=charge_ref(subscriber, 50000, "inr", key, None,
                                                             reference="order_DoesNotExist01"))
    assert (info.status, info.processor_key) == (ChargeStatus.NOT_FOUND, None)


def test_a_race_for_one_receipt_ends_on_the_first_order(backend, backdoor, fake, subscriber, key, monkeypatch):
    """Two page loads race: the second does not see the first's order yet,
    Razorpay refuses its duplicate receipt, and it finds and uses that order."""
    from payproc_razorpay import orders

    with fake.state.lock:
        first = fake.state.create_order({"amount": 50000, "currency": "INR", "receipt": receipt_for(key)})
    real, calls = orders.find_order, []

    def late_find(*args, **kwargs):
        calls.append(args)
        return None if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(orders, "find_order", late_find)
    context = backend.call("get_payment_context", subscriber=subscriber, amount=50000, currency="inr",
                           provider=PROVIDER, broker=BROKER, broker_fee_amount=0, return_url=None,
                           idempotency_key=key)
    assert context.reference == first["id"] and len(fake.state.orders) == 1 and len(calls) == 2
