"""Checkout through the core's public API: orders that wait for the
customer, UPI payments that wait for Razorpay, authorizations that are
captured, and the handler's fields checked against the stored order."""

from __future__ import annotations

import json

import pytest
from payproc.errors import ProcessorError
from razorpay_app import CUSTOMER, PROVIDER_SLUG


def test_an_unpaid_order_is_awaiting_the_customer_not_failed(shop, backdoor):
    prepared = shop.app.payment_context(CUSTOMER, 50000, "inr", provider=PROVIDER_SLUG)
    key = prepared.idempotency_key
    for _ in range(2):
        shop.settle()
        assert shop.charge(key).state in ("awaiting", "created"), "never failed while the customer may pay"
    key2, token, fields = shop.pay_page(50000)  # another page: the first one's customer never came back
    charge = shop.app.checkout(CUSTOMER, 50000, "inr", token, idempotency_key=key2, browser_fields=fields,
                               provider=PROVIDER_SLUG)
    assert charge.state == "done" and shop.app.check_books().balanced
    assert shop.charge(key).state in ("awaiting", "created")


def test_the_customer_pays_an_order_settle_had_seen_unpaid(shop):
    key, token, fields = shop.pay_page(50000, outcome="decline")  # a failed attempt: Checkout lets them retry
    shop.settle()
    assert shop.charge(key).state in ("awaiting", "created")
    charge = shop.charge(key)
    token, fields = shop.harness.pay(_context(shop, charge), 50000, "inr")
    done = shop.app.checkout(CUSTOMER, 50000, "inr", token, idempotency_key=key, browser_fields=fields,
                             provider=PROVIDER_SLUG)
    assert done.state == "done" and done.processor_key == token


def _context(shop, charge):
    from payproc.types import PaymentContext

    return PaymentContext({"order_id": charge.reference}, "razorpay_payment_id", charge.reference)


def test_an_authorization_the_browser_never_reported_is_captured_and_booked(shop, fake):
    key, token, _fields = shop.pay_page(50000)
    assert fake.state.payments[token]["status"] == "authorized"
    shop.settle()
    charge = shop.charge(key)
    assert (charge.state, charge.processor_key) == ("done", token)
    assert fake.state.payments[token]["captured"], "never left for Razorpay to refund"


def test_a_upi_payment_stays_pending_until_razorpay_says_otherwise(shop, fake, backdoor):
    key, token, fields = shop.pay_page(50000, method="upi")
    charge = shop.app.checkout(CUSTOMER, 50000, "inr", token, idempotency_key=key, browser_fields=fields,
                               provider=PROVIDER_SLUG)
    assert charge.state == "created" and charge.processor_key == token
    for _ in range(2):
        shop.settle()
        assert shop.app.get_charge(charge.id).state == "created"
    backdoor.backdoor(f"payments/{token}/authorize", {})
    shop.settle()
    assert shop.app.get_charge(charge.id).state == "done" and fake.state.payments[token]["captured"]


def test_a_upi_payment_razorpay_fails_is_failed(shop, backdoor):
    key, token, fields = shop.pay_page(50000, method="upi")
    charge = shop.app.checkout(CUSTOMER, 50000, "inr", token, idempotency_key=key, browser_fields=fields,
                               provider=PROVIDER_SLUG)
    shop.skip_deliveries()
    backdoor.backdoor(f"payments/{token}/fail", {})
    shop.deliver()
    assert shop.app.get_charge(charge.id).state == "failed" and shop.app.balances() == {}


def test_handler_fields_for_another_order_are_refused_and_nothing_captured(shop, fake):
    key, _token, _fields = shop.pay_page(500000)
    _cheap_key, cheap_token, cheap_fields = shop.pay_page(100)
    balances = shop.app.balances()
    with pytest.raises(ProcessorError, match="razorpay_order_id|signature"):
        shop.app.checkout(CUSTOMER, 500000, "inr", cheap_token, idempotency_key=key, browser_fields=cheap_fields,
                          provider=PROVIDER_SLUG)
    assert fake.state.payments[cheap_token]["status"] == "authorized"
    assert shop.app.balances() == balances


def test_an_amount_under_razorpays_minimum_is_refused_before_any_call(shop, fake):
    from payproc.errors import InvalidAmount

    requests = len(fake.state.requests)
    with pytest.raises(InvalidAmount):
        shop.app.payment_context(CUSTOMER, 99, "inr", provider=PROVIDER_SLUG)
    assert len(fake.state.requests) == requests and shop.app.balances() == {}
    assert [c.state for c in shop.app.list_charges() if c.state in ("awaiting", "created")] == []


def test_the_authorized_webhook_alone_captures_and_books_the_payment(shop, fake):
    """The customer paid in Checkout and closed the tab: only Razorpay's
    ``payment.authorized`` arrives. It names the payment, which the charge
    does not know yet, and the order, which it does: the core finds the
    charge by its order, captures the authorization once (Razorpay would
    refund it otherwise) and books it; a redelivery changes nothing."""
    shop.skip_deliveries()
    key, token, _fields = shop.pay_page(50000)
    assert fake.state.payments[token]["status"] == "authorized"
    outcomes = shop.deliver("payment.authorized")
    assert [outcome.status for outcome in outcomes] == ["applied"]
    charge = shop.charge(key)
    assert (charge.state, charge.processor_key) == ("done", token)
    assert fake.state.payments[token]["captured"]
    assert shop.app.check_books().balanced
    booked = shop.app.balances()
    authorized = [(body, headers) for body, headers in shop.harness.deliveries()
                  if json.loads(body)["event"] == "payment.authorized"]
    assert len(authorized) == 1
    assert shop.app.handle_webhook(*authorized[0]).status == "duplicate"
    assert {outcome.status for outcome in shop.deliver()} <= {"applied", "ignored"}  # the capture's own events
    assert shop.app.balances() == booked


def test_an_authorization_for_a_failed_charge_is_not_captured(shop, fake):
    """A charge already failed is not revived by capturing an authorization
    (an authorization is not money yet: Razorpay returns an uncaptured one to
    the customer); it is flagged for a person to look at."""
    from payproc.db import ChargeRow
    from sqlalchemy import update

    shop.skip_deliveries()
    key, token, _fields = shop.pay_page(50000)
    with shop.app.db.transaction() as session:
        session.execute(update(ChargeRow).where(ChargeRow.idempotency_key == key).values(state="failed"))
    shop.deliver("payment.authorized")
    assert shop.charge(key).state == "failed"
    assert not fake.state.payments[token]["captured"] and shop.app.balances() == {}
