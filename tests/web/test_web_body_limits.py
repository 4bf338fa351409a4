"""What a request body may be: a body past the limit is a 413, a JSON
document nested too deeply a 400 — one JSON error, nothing recorded or
charged — never a 500 or a body read whole into memory."""

from __future__ import annotations

import json

import pytest
from payproc.db.models import ChargeRow, WebhookEventRow
from payproc.web.fields import MAX_BODY, MAX_DEPTH, MAX_WEBHOOK_BODY
from payproc_fake import processor
from sqlalchemy import func, select


def recorded(app) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    with app.db.reading() as session:
        charges = int(session.scalar(select(func.count()).select_from(ChargeRow)) or 0)
        events = int(session.scalar(select(func.count()).select_from(WebhookEventRow)) or 0)
    return charges, events, len(processor.get_account(app.backend.settings.ACCOUNT).list_charges())


def padded_checkout(size: int) -> bytes:
    body = {"amount": 2000, "currency": "usd", "stripeToken": "tok_visa", "descr": ""}
    body["descr"] = "x" * (size - len(json.dumps(body)))
    return json.dumps(body).encode()


@pytest.mark.parametrize("path", ["/api/checkout", "/api/context", "/api/complete", "/api/card"])
def test_a_body_past_the_limit_is_413(client, payproc_app, path):
    answer = client.post(path, content=padded_checkout(MAX_BODY + 1), headers={"content-type": "application/json"})
    assert answer.status_code == 413
    assert answer.json() == {"error": "body_too_large",
                             "message": f"the request body is larger than {MAX_BODY} bytes"}
    assert recorded(payproc_app) == (0, 0, 0)


def test_a_body_without_a_length_is_cut_at_the_limit(client, payproc_app):
    def chunks():  # chunked: no Content-Length announces the size
        body = padded_checkout(MAX_BODY + 1)
        for start in range(0, len(body), 4096):
            yield body[start:start + 4096]

    answer = client.post("/api/checkout", content=chunks(), headers={"content-type": "application/json"})
    assert (answer.status_code, answer.json()["error"]) == (413, "body_too_large")
    form = client.post("/api/checkout", data={"amount": "2000", "currency": "usd", "stripeToken": "tok_visa",
                                              "descr": "x" * MAX_BODY})
    assert (form.status_code, form.json()["error"]) == (413, "body_too_large")
    assert recorded(payproc_app) == (0, 0, 0)


def test_a_body_within_the_limit_pays(client, payproc_app):
    answer = client.post("/api/checkout", content=padded_checkout(MAX_BODY - 100),
                         headers={"content-type": "application/json"})
    assert answer.status_code == 200, answer.text
    assert recorded(payproc_app)[0] == 1


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5000])
def test_deeply_nested_json_is_400(client, payproc_app, depth):
    nested = "[" * (depth - 1) + "]" * (depth - 1)
    body = f'{{"amount": 2000, "currency": "usd", "stripeToken": "tok_visa", "params": {nested}}}'
    answer = client.post("/api/checkout", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_json"
    assert recorded(payproc_app) == (0, 0, 0)


def test_a_body_nested_exactly_max_depth_levels_with_a_value_inside_pays(client, payproc_app):
    """The README: refused when nested *more than* 16 levels. The body and
    15 objects inside it are 16 levels; the value in the innermost is no
    level of nesting (it was counted as one: such a body was refused)."""
    nested = '{"x": "1"}'
    for _ in range(MAX_DEPTH - 2):
        nested = f'{{"n": {nested}}}'
    body = f'{{"amount": 2000, "currency": "usd", "stripeToken": "tok_visa", "params": {nested}}}'
    answer = client.post("/api/checkout", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 200, answer.text
    deeper = body.replace('{"x": "1"}', '{"x": {"y": "1"}}')
    answer = client.post("/api/checkout", content=deeper, headers={"content-type": "application/json"})
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_json")
    assert recorded(payproc_app)[0] == 1


def test_a_webhook_past_its_limit_is_413_and_not_stored(client, payproc_app):
    answer = client.post("/webhooks/fake", content=b"{" + b" " * MAX_WEBHOOK_BODY + b"}",
                         headers={"content-type": "application/json"})
    assert answer.status_code == 413
    assert answer.json()["error"] == "body_too_large"
    assert recorded(payproc_app) == (0, 0, 0)


def test_a_return_past_the_limit_changes_nothing_and_goes_to_the_page(client, payproc_app):
    key = client.post("/api/context", json={"amount": 2000, "currency": "usd"}).json()["idempotency_key"]
    answer = client.post(f"/return/{key}", data={"otp": "1" * MAX_BODY}, follow_redirects=False)
    assert answer.status_code == 303
    assert client.get(f"/api/checkout/{key}").json()["state"] == "awaiting"
