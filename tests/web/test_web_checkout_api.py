"""The checkout endpoints over HTTP: payment context, checkout with a token
or the card on file, and each processor error's JSON answer and status."""

from __future__ import annotations

import pytest
from payproc.db.models import ChargeRow
from payproc_fake import processor
from sqlalchemy import func, select


def charge_count(app) -> int:  # type: ignore[no-untyped-def]
    with app.db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(ChargeRow)) or 0)


def fake_account(app):  # type: ignore[no-untyped-def]
    return processor.get_account(app.backend.settings.ACCOUNT)


def test_context_without_amount_tells_the_page_what_it_needs(client, payproc_app):
    answer = client.get("/api/context")
    assert answer.status_code == 200
    body = answer.json()
    assert body["backend"] == "fake"
    assert body["token_field"] == "stripeToken"
    assert body["script_urls"] == ["backends/fake/tokenizer.js"]
    assert body["values"] == {"FAKE_PUB_KEY": "pk_fake"}
    assert body["idempotency_key"] is None
    assert body["customer"] == "alice"
    assert client.get("/api/context", params={"amount": "2000", "currency": "usd"}).json()["amount"] is None
    assert charge_count(payproc_app) == 0


def test_context_with_amount_records_the_charge_and_checkout_reuses_it(client, payproc_app):
    prepared = client.post("/api/context", json={"amount_major": "20.00", "currency": "USD"}).json()
    assert (prepared["amount"], prepared["currency"], prepared["minor_digits"]) == (2000, "usd", 2)
    key = prepared["idempotency_key"]
    assert key and charge_count(payproc_app) == 1

    answer = client.post("/api/checkout", json={
        "amount_major": "20.00", "currency": "usd", "idempotency_key": key, "stripeToken": "tok_visa"})
    assert answer.status_code == 200, answer.text
    charge = answer.json()
    assert charge["state"] == "done"
    assert (charge["amount"], charge["currency"], charge["display"]) == (2000, "usd", "20.00 USD")
    assert charge["receipt"]["last4"] == "4242" and charge["receipt"]["brand"] == "visa"
    assert charge["idempotency_key"] == key
    assert charge_count(payproc_app) == 1
    assert len(fake_account(payproc_app).list_charges()) == 1


def test_checkout_from_a_form_post(client):
    answer = client.post("/api/checkout", data={"amount": "1500", "currency": "eur", "stripeToken": "tok_visa"})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["amount"], answer.json()["currency"]) == (1500, "eur")


def test_a_retried_checkout_charges_once(client, payproc_app):
    body = {"amount": 700, "currency": "usd", "idempotency_key": "pp_retry_web_1", "stripeToken": "tok_visa"}
    first = client.post("/api/checkout", json=body)
    second = client.post("/api/checkout", json=body)
    assert first.status_code == second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert len(fake_account(payproc_app).list_charges()) == 1


def test_missing_token_names_the_expected_field(client, payproc_app):
    answer = client.post("/api/checkout", json={"amount": 2000, "currency": "usd", "token": "tok_visa"})
    assert answer.status_code == 400
    body = answer.json()
    assert body["error"] == "no_payment_method"
    assert body["token_field"] == "stripeToken"
    assert "'stripeToken'" in body["message"]
    assert "is not associated to an account on the processor and no token was passed" in body["message"]
    assert "token" in body["received_fields"]
    assert fake_account(payproc_app).list_charges() == []


def test_declined_card_is_402_with_the_processors_message(client, payproc_app):
    answer = client.post("/api/checkout", json={"amount": 2000, "currency": "usd", "stripeToken": "tok_decline"})
    assert answer.status_code == 402
    body = answer.json()
    assert body["error"] == "card_declined"
    assert body["message"] == "Your card was declined."
    assert body["charge"]["state"] == "failed"
    assert charge_count(payproc_app) == 1


@pytest.mark.parametrize("token", ["tok_timeout", "tok_unreachable"])
def test_unknown_outcome_is_202_and_the_charge_stays_in_progress(client, payproc_app, token):
    answer = client.post("/api/checkout", json={"amount": 2000, "currency": "usd", "stripeToken": token})
    assert answer.status_code == 202
    body = answer.json()
    assert body["error"] == "outcome_unknown"
    assert body["charge"]["state"] == "created"
    settled = payproc_app.settle().charges
    expected = "done" if token == "tok_timeout" else "failed"
    assert [charge.state for charge in settled] == [expected]


def test_setup_error_is_503_without_account_details(client):
    answer = client.post("/api/checkout", json={"amount": 2000, "currency": "usd", "stripeToken": "tok_setup_error"})
    assert answer.status_code == 503
    body = answer.json()
    assert body["error"] == "processor_setup_error"
    assert "merchant" in body["message"]
    assert body["charge"]["state"] == "failed"


def test_processor_error_is_502(client):
    answer = client.post("/api/checkout", json={"amount": 2000, "currency": "usd",
                                                "stripeToken": "tok_processor_error"})
    assert answer.status_code == 502
    assert answer.json()["error"] == "processor_error"


def test_integrity_mismatch_is_502_and_not_done(client):
    answer = client.post("/api/checkout", json={"amount": 2000, "currency": "usd", "stripeToken": "tok_mismatch"})
    assert answer.status_code == 502
    body = answer.json()
    assert body["error"] == "integrity_mismatch"
    assert body["charge"]["state"] != "done"


@pytest.mark.parametrize("body", [
    {"stripeToken": "4242 4242 4242 4242"},
    {"stripeToken": "tok_visa", "card_number": "4000000000000002"},
    {"stripeToken": "tok_visa", "cvc": "123"},
])
def test_card_data_is_refused_and_not_echoed(client, payproc_app, body):
    answer = client.post("/api/checkout", json={"amount": 2000, "currency": "usd", **body})
    assert answer.status_code == 400
    assert answer.json()["error"] == "card_data_refused"
    assert "4242 4242" not in answer.text and "4000000000000002" not in answer.text
    assert fake_account(payproc_app).list_charges() == []


@pytest.mark.parametrize(("body", "code"), [
    ({"amount": 20.5, "currency": "usd"}, "invalid_amount"),
    ({"amount": -5, "currency": "usd"}, "invalid_amount"),
    ({"amount_major": "20.001", "currency": "usd"}, "invalid_amount"),
    ({"amount_major": "10.5", "currency": "jpy"}, "invalid_amount"),
    ({"currency": "usd"}, "invalid_amount"),
    ({"amount": 2000, "currency": "xyz"}, "unknown_currency"),
    ({"amount": 2000, "currency": "usd", "customer": "nobody"}, "invalid_input"),
])
def test_malformed_checkouts_are_400(client, payproc_app, body, code):
    answer = client.post("/api/checkout", json={**body, "stripeToken": "tok_visa"})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == code
    assert fake_account(payproc_app).list_charges() == []


def test_a_body_that_is_not_json_is_400(client):
    answer = client.post("/api/checkout", content=b"{not json", headers={"content-type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_json"


def test_card_on_file_update_charge_and_delete(client, payproc_app):
    assert client.get("/api/card").json() == {"customer": "alice", "card": None}
    missing = client.post("/api/card", json={"token": "tok_visa"})
    assert missing.status_code == 400
    assert missing.json()["token_field"] == "stripeToken" and "'stripeToken'" in missing.json()["message"]

    saved = client.post("/api/card", json={"stripeToken": "tok_visa"})
    assert saved.status_code == 200
    assert saved.json()["card"]["last4"] == "4242"
    assert client.get("/api/card").json()["card"]["last4"] == "4242"

    paid = client.post("/api/checkout", json={"amount": 900, "currency": "usd"})
    assert paid.status_code == 200 and paid.json()["state"] == "done"

    assert client.delete("/api/card").json()["card"] is None
    again = client.post("/api/checkout", json={"amount": 900, "currency": "usd"})
    assert again.status_code == 400 and again.json()["error"] == "no_payment_method"


def test_declined_card_update_is_402(client):
    answer = client.post("/api/card", json={"stripeToken": "tok_decline"})
    assert answer.status_code == 402
    assert answer.json()["message"] == "Your card was declined."


def test_a_card_update_whose_outcome_is_unknown_is_503(client, payproc_app):
    fake_account(payproc_app).fail_next("unreachable", operation="save_card")
    answer = client.post("/api/card", json={"stripeToken": "tok_visa"})
    assert answer.status_code == 503
    assert answer.headers["retry-after"]


def test_customer_comes_from_the_resolver_not_the_body(payproc_app):
    from payproc.web import create_app
    from starlette.testclient import TestClient

    payproc_app.add_profile("bob", "Bob")

    async def from_session(request, fields):  # type: ignore[no-untyped-def]
        return request.headers.get("x-test-user")

    with TestClient(create_app(payproc_app, customer_of=from_session, authorize=lambda request, operation: True)) as client:
        answer = client.post("/api/checkout", headers={"x-test-user": "bob"},
                             json={"amount": 100, "currency": "usd", "customer": "alice", "stripeToken": "tok_visa"})
        assert answer.status_code == 200
        charges = client.get("/api/charges", params={"customer": "bob"}).json()["charges"]
        assert [c["id"] for c in charges] == [answer.json()["id"]]
        assert client.get("/api/charges", params={"customer": "alice"}).json()["charges"] == []
        assert client.post("/api/checkout", json={"amount": 100, "currency": "usd"}).status_code == 400


def test_without_customer_of_nobody_can_charge_or_replace_a_card_on_file(payproc_app):
    """``payproc serve`` / ``create_app(app)``: the customer is whatever the
    request posts, so the card on file is neither charged nor replaced from
    the web: one clear 400, nothing charged, the saved card kept."""
    from payproc.web import create_app
    from starlette.testclient import TestClient

    saved = payproc_app.update_card("alice", "tok_visa")
    client = TestClient(create_app(payproc_app))
    charge = client.post("/api/checkout", json={"customer": "alice", "amount": 99900, "currency": "usd"})
    assert charge.status_code == 400
    assert charge.json()["error"] == "no_token"
    assert "'stripeToken'" in charge.json()["message"] and "customer_of" in charge.json()["message"]
    keep = client.post("/api/checkout", json={"customer": "alice", "amount": 2000, "currency": "usd",
                                              "stripeToken": "tok_visa", "remember_card": True})
    assert (keep.status_code, keep.json()["error"]) == (400, "remember_card_refused")
    assert charge_count(payproc_app) == 0 and fake_account(payproc_app).list_charges() == []
    assert payproc_app.retrieve_card("alice") == saved
    paid = client.post("/api/checkout", json={"customer": "alice", "amount": 2000, "currency": "usd",
                                              "stripeToken": "tok_visa"})
    assert paid.status_code == 200


def test_with_customer_of_the_card_on_file_pays(payproc_app):
    from payproc.web import create_app
    from starlette.testclient import TestClient

    payproc_app.update_card("alice", "tok_visa")
    client = TestClient(create_app(payproc_app, customer_of=lambda request, fields: "alice"))
    answer = client.post("/api/checkout", json={"amount": 2000, "currency": "usd"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["receipt"]["last4"] == "4242"
