"""Cross-site browser requests cannot pay with the card on file (CSRF)."""

from __future__ import annotations

from starlette.testclient import TestClient

CUSTOMER = "alice"  # the profile conftest.py creates


def test_a_cross_site_form_post_cannot_charge_the_card_on_file(client, payproc_app):
    assert client.post("/api/card", json={"stripeToken": "tok_visa"}).status_code == 200
    attack = client.post("/api/checkout", data={"amount": "99900", "currency": "usd"},
                         headers={"origin": "https://evil.example", "sec-fetch-site": "cross-site"})
    assert attack.status_code == 403
    assert attack.json()["error"] == "cross_origin"
    assert payproc_app.list_charges() == []
    for method, path in [("POST", "/api/context"), ("DELETE", "/api/card"), ("POST", "/api/charges/1/refunds")]:
        answer = client.request(method, path, json={"amount": 100, "currency": "usd"},
                                headers={"origin": "https://evil.example"})
        assert answer.status_code == 403, (method, path)
    assert client.get("/api/card").json()["card"] is not None


def test_same_origin_and_trusted_origins_pass(payproc_app):
    from payproc.web import create_app

    app = create_app(payproc_app, demo=True, default_customer=CUSTOMER, trusted_origins=["https://shop.example/"])
    with TestClient(app) as client:
        body = {"amount": 100, "currency": "usd", "stripeToken": "tok_visa"}
        same = client.post("/api/checkout", json=body, headers={"origin": "http://testserver",
                                                                "sec-fetch-site": "same-origin"})
        assert same.status_code == 200
        trusted = client.post("/api/checkout", json=body, headers={"origin": "https://shop.example"})
        assert trusted.status_code == 200
        opaque = client.post("/api/checkout", json=body, headers={"origin": "null"})
        assert opaque.status_code == 403


def test_webhooks_are_not_subject_to_the_origin_check(client):
    answer = client.post("/webhooks/fake", content=b"{}", headers={"origin": "https://evil.example"})
    assert answer.status_code == 400  # refused for its signature, not its origin
