"""The demo page and its assets, and mounting the app inside another one."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

CUSTOMER = "alice"  # the profile conftest.py creates


def test_page_is_served_with_a_strict_content_security_policy(client):
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self';" in csp
    assert "http" not in page.text.lower().replace("http-equiv", ""), "no external resource on the page"
    assert '<label for="amount">' in page.text
    assert 'id="card-number"' in page.text
    # The card inputs have no name: a form post can never carry them.
    assert 'name="card' not in page.text


def test_assets_and_the_backends_tokenizer_are_served(client):
    for path, kind in [("/static/checkout.js", "javascript"), ("/static/checkout.css", "text/css"),
                       ("/backends/fake/tokenizer.js", "javascript")]:
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert kind in answer.headers["content-type"], path
    assert "payprocTokenizers" in client.get("/backends/fake/tokenizer.js").text
    assert client.get("/backends/fake/../backend.py").status_code == 404


def test_without_page_only_the_api_is_served(payproc_app):
    from payproc.web import create_app

    with TestClient(create_app(payproc_app, demo=True, default_customer=CUSTOMER, page=False)) as client:
        assert client.get("/").status_code == 404
        assert client.get("/api/context").status_code == 200


def test_mounted_under_a_prefix(payproc_app):
    from payproc.web import create_app

    outer = Starlette(routes=[Mount("/payments", app=create_app(payproc_app, demo=True, default_customer=CUSTOMER))])
    with TestClient(outer) as client:
        assert client.get("/payments/").status_code == 200
        assert client.get("/payments/static/checkout.js").status_code == 200
        answer = client.post("/payments/api/checkout", json={"amount": 100, "currency": "usd",
                                                             "stripeToken": "tok_visa"})
        assert answer.status_code == 200 and answer.json()["state"] == "done"
