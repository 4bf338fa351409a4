"""A purchase is its customer's: with ``customer_of``, another customer who
posts its idempotency key (to the checkout, the context or the page's
completion) gets one error that shows nothing of it, and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from payproc.db.models import ChargeRow
from payproc_fake import processor
from sqlalchemy import select

ALICE, BOB = {"x-user": "alice"}, {"x-user": "bob"}


@pytest.fixture
def shop(payproc_app):  # type: ignore[no-untyped-def]
    from payproc.web import create_app
    from starlette.testclient import TestClient

    payproc_app.add_profile("bob", "Bob")
    with TestClient(create_app(payproc_app, customer_of=lambda request, fields: request.headers.get("x-user"))) as client:
        yield client


def alices_purchase(client) -> tuple[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Alice's purchase waiting on her 3-D Secure challenge (its next action
    is what a processor's script needs to finish it)."""
    key = client.post("/api/context", headers=ALICE, json={"amount": 2000, "currency": "usd"}).json()["idempotency_key"]
    answer = client.post("/api/checkout", headers=ALICE, json={
        "amount": 2000, "currency": "usd", "idempotency_key": key, "stripeToken": "tok_3ds"})
    assert answer.status_code == 202, answer.text
    return key, answer.json()


def stored(app) -> list[tuple[Any, ...]]:  # type: ignore[no-untyped-def]
    with app.db.reading() as session:
        return [(c.id, c.customer_id, c.state, c.amount, c.processor_key, c.next_action)
                for c in session.scalars(select(ChargeRow).order_by(ChargeRow.id))]


def processor_charges(app) -> int:  # type: ignore[no-untyped-def]
    return len(processor.get_account(app.backend.settings.ACCOUNT).list_charges())


@pytest.mark.parametrize("amount", [2000, 500])
def test_a_checkout_with_another_customers_key_shows_nothing_of_it(shop, payproc_app, amount):
    key, alices = alices_purchase(shop)
    before, charged = stored(payproc_app), processor_charges(payproc_app)
    answer = shop.post("/api/checkout", headers=BOB, json={
        "amount": amount, "currency": "usd", "idempotency_key": key, "stripeToken": "tok_visa"})
    assert answer.status_code == 400
    body = answer.json()
    assert body["error"] == "invalid_input" and "already in use" in body["message"]
    assert "charge" not in body
    assert "20.00" not in answer.text and alices["processor_key"] not in answer.text
    assert alices["next_action"]["values"]["challenge"] not in answer.text
    assert stored(payproc_app) == before and processor_charges(payproc_app) == charged
    # the context answers the same, and records nothing
    context = shop.post("/api/context", headers=BOB, json={"amount": 2000, "currency": "usd", "idempotency_key": key})
    assert context.status_code == 400 and "20.00" not in context.text and "charge" not in context.json()
    assert stored(payproc_app) == before


@pytest.mark.parametrize("params", ["not an object", {"otp": 123456}, {"card_number": "4242424242424242"}])
def test_a_bad_completion_of_another_customers_purchase_shows_nothing_of_it(shop, payproc_app, params):
    key, alices = alices_purchase(shop)
    before = stored(payproc_app)
    answer = shop.post("/api/complete", headers=BOB, json={"idempotency_key": key, "params": params})
    assert answer.status_code in (400, 404), answer.text
    assert set(answer.json()) <= {"error", "message"}
    assert alices["processor_key"] not in answer.text
    assert stored(payproc_app) == before
    # her own malformed completion still shows her purchase as it stands
    own = shop.post("/api/complete", headers=ALICE, json={"idempotency_key": key, "params": "not an object"})
    assert own.status_code == 400 and own.json()["charge"]["processor_key"] == alices["processor_key"]


def test_the_same_customer_reusing_a_key_is_told_the_first_amount(shop, payproc_app):
    key, _alices = alices_purchase(shop)
    answer = shop.post("/api/checkout", headers=ALICE, json={
        "amount": 500, "currency": "usd", "idempotency_key": key, "stripeToken": "tok_visa"})
    assert answer.status_code == 400
    assert "was used for another charge (20.00 USD)" in answer.json()["message"]
    assert answer.json()["charge"]["idempotency_key"] == key
