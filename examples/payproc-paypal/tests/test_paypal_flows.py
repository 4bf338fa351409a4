"""PayPal's own flow through payproc's public API: the order made by the
payment context, the buyer's return, and what a return or a webhook may not
do (name another order, forge a capture)."""

from __future__ import annotations

import pytest
from payproc.errors import ProcessorError, WebhookVerificationError
from payproc.testing.driver import CUSTOMER, make_app
from payproc.types import EventType


@pytest.fixture
def app(payproc_harness, tmp_path):  # type: ignore[no-untyped-def]
    application = make_app(payproc_harness, tmp_path)
    yield application
    application.db.dispose()


def test_the_context_is_an_order_and_the_return_captures_it(app, fake_server):
    prepared = app.payment_context(CUSTOMER, 2500, "usd", return_url="https://shop.example/return/k1")
    (order_id,) = fake_server.orders
    assert prepared.values == {"order_id": order_id}
    assert prepared.next_action["kind"] == "redirect" and order_id in prepared.next_action["url"]
    assert fake_server.orders[order_id]["status"] == "PAYER_ACTION_REQUIRED"
    assert app.list_charges()[0].state == "awaiting"
    query = fake_server.approve(order_id)  # the buyer on PayPal's page, then back
    charge = app.complete(prepared.idempotency_key, query)
    assert (charge.state, charge.processor_key, charge.brand) == ("done", order_id, "paypal")
    assert fake_server.orders[order_id]["status"] == "COMPLETED"
    assert app.check_books().balanced


def test_a_return_naming_another_order_captures_nothing(app, fake_server):
    first = app.payment_context(CUSTOMER, 2500, "usd", return_url="https://shop.example/return/a")
    app.payment_context(CUSTOMER, 100, "usd", return_url="https://shop.example/return/b")
    cheap = next(o for o in fake_server.orders.values() if o["purchase_units"][0]["amount"]["value"] == "1.00")
    query = fake_server.approve(cheap["id"])
    with pytest.raises(ProcessorError, match="another PayPal order"):
        app.complete(first.idempotency_key, query)
    assert all(order["status"] != "COMPLETED" for order in fake_server.orders.values())
    assert app.list_charges(state="done") == []


def test_a_forged_capture_event_is_refused_by_paypals_verification(app, fake_server, payproc_harness):
    prepared = app.payment_context(CUSTOMER, 2500, "usd", return_url="https://shop.example/return/k2")
    (order_id,) = fake_server.orders
    forged = payproc_harness.webhook(EventType.CHARGE_SUCCEEDED,
                                     order_id, amount=2500, currency="usd", secret="not-paypal")
    with pytest.raises(WebhookVerificationError):
        app.handle_webhook(*forged)
    # A genuine delivery for an order nobody captured books nothing either:
    # the backend reads the order back and it is not paid.
    genuine = payproc_harness.webhook(EventType.CHARGE_SUCCEEDED,
                                      order_id, amount=2500, currency="usd")
    assert app.handle_webhook(*genuine).status == "ignored"
    assert app.get_charge(app.list_charges()[0].id).state == "awaiting"
    assert prepared.idempotency_key
