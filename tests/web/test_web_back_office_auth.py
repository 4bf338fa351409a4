"""The back-office endpoints (charges, refunds, ledger) exist only with the
application's ``authorize`` callable, and answer 403 when it says no."""

from __future__ import annotations

import pytest
from payproc.web import create_app
from payproc.web.auth import OPERATIONS, bearer_token
from starlette.testclient import TestClient

CUSTOMER = "alice"  # the profile conftest.py creates

TOKEN = "admin-token-for-tests"


def _paid(payproc_app):  # type: ignore[no-untyped-def]
    return payproc_app.checkout(CUSTOMER, 2000, "usd", "tok_visa")


def test_without_authorize_the_back_office_does_not_exist(payproc_app):
    charge = _paid(payproc_app)
    client = TestClient(create_app(payproc_app))
    assert client.post(f"/api/charges/{charge.id}/refunds", json={}).status_code == 404
    for path in ("/api/charges", f"/api/charges/{charge.id}", "/api/ledger", "/", "/api/card"):
        assert client.get(path).status_code == 404, path
    assert client.get("/api/context", params={"customer": CUSTOMER}).status_code == 200
    assert payproc_app.get_charge(charge.id).amount_refunded == 0


def test_the_bearer_token_example_guards_every_back_office_operation(payproc_app):
    charge = _paid(payproc_app)
    client = TestClient(create_app(payproc_app, authorize=bearer_token(TOKEN)))
    wrong = {"authorization": "Bearer not-the-token"}
    for answer in (client.get("/api/charges"), client.get(f"/api/charges/{charge.id}", headers=wrong),
                   client.get("/api/ledger"), client.post(f"/api/charges/{charge.id}/refunds", json={}, headers=wrong)):
        assert (answer.status_code, answer.json()["error"]) == (403, "forbidden")
    assert payproc_app.get_charge(charge.id).amount_refunded == 0
    good = {"authorization": f"Bearer {TOKEN}"}
    assert [c["id"] for c in client.get("/api/charges", headers=good).json()["charges"]] == [charge.id]
    refunded = client.post(f"/api/charges/{charge.id}/refunds", json={"amount": 500}, headers=good)
    assert refunded.status_code == 201
    assert payproc_app.get_charge(charge.id).amount_refunded == 500
    assert client.get("/api/ledger", headers=good).json()["balanced"] is True


def test_an_async_authorize_is_asked_about_each_operation(payproc_app):
    charge = _paid(payproc_app)
    asked: list[str] = []

    async def staff_reads_only(request, operation):  # type: ignore[no-untyped-def]
        asked.append(operation)
        return operation != "charges.refund"

    client = TestClient(create_app(payproc_app, authorize=staff_reads_only))
    assert client.get("/api/charges").status_code == 200
    assert client.get(f"/api/charges/{charge.id}").status_code == 200
    assert client.get("/api/ledger").status_code == 200
    assert client.post(f"/api/charges/{charge.id}/refunds", json={}).status_code == 403
    assert sorted(asked) == sorted(OPERATIONS)
    assert payproc_app.get_charge(charge.id).amount_refunded == 0


def test_a_fixed_customer_is_for_the_demo_only(payproc_app):
    with pytest.raises(ValueError, match="demo"):
        create_app(payproc_app, default_customer=CUSTOMER)
    with pytest.raises(ValueError):
        bearer_token("")


def test_a_backend_outside_any_package_is_served_without_static_files(payproc_app, monkeypatch):
    # a backend class defined in a plain module (this test module, not a package) has no static/ folder
    plain = type("PlainModuleBackend", (type(payproc_app.backend.impl),), {"__module__": __name__})
    monkeypatch.setattr(payproc_app.backend, "impl", plain())
    client = TestClient(create_app(payproc_app))
    assert client.get("/api/context", params={"customer": CUSTOMER}).status_code == 200
