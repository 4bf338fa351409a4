"""Refunds, the ledger view and the webhook endpoint over HTTP."""

from __future__ import annotations

import pytest
from payproc.db.models import WebhookEventRow
from payproc.types import EventType
from payproc_fake import processor
from payproc_fake.webhooks import build_event
from sqlalchemy import select


def pay(client, amount: int = 2000, token: str = "tok_visa") -> dict:  # type: ignore[no-untyped-def]
    answer = client.post("/api/checkout", json={"amount": amount, "currency": "usd", "stripeToken": token})
    assert answer.status_code in (200, 402), answer.text
    return answer.json()


def stored_events(app) -> list[tuple[str, bool]]:  # type: ignore[no-untyped-def]
    with app.db.transaction() as session:
        return [(row.event_id, row.applied) for row in session.scalars(select(WebhookEventRow))]


def test_partial_then_full_refund(client):
    charge = pay(client)
    partial = client.post(f"/api/charges/{charge['id']}/refunds", json={"amount_major": "5.00"})
    assert partial.status_code == 201, partial.text
    assert partial.json()["refund"]["amount"] == 500
    assert partial.json()["refund"]["state"] == "done"
    assert partial.json()["charge"]["amount_refunded"] == 500

    rest = client.post(f"/api/charges/{charge['id']}/refunds", json={})
    assert rest.status_code == 201
    assert rest.json()["refund"]["amount"] == 1500
    assert rest.json()["charge"]["amount_refunded"] == 2000

    more = client.post(f"/api/charges/{charge['id']}/refunds", json={"amount": 1})
    assert more.status_code == 400
    assert more.json()["error"] == "refund_exceeds_remaining"


def test_refunding_a_failed_charge_is_409_and_an_unknown_one_404(client):
    failed = pay(client, token="tok_decline")["charge"]
    answer = client.post(f"/api/charges/{failed['id']}/refunds", json={})
    assert answer.status_code == 409
    assert answer.json()["error"] == "invalid_state"
    assert client.post("/api/charges/999999/refunds", json={}).status_code == 404
    assert client.get("/api/charges/999999").status_code == 404


def test_a_refund_whose_outcome_is_unknown_is_202(client, payproc_app):
    charge = pay(client)
    processor.get_account(payproc_app.backend.settings.ACCOUNT).fail_next("unreachable", operation="refund")
    answer = client.post(f"/api/charges/{charge['id']}/refunds", json={})
    assert answer.status_code == 202
    assert answer.json()["error"] == "outcome_unknown"
    assert client.get(f"/api/charges/{charge['id']}").json()["state"] == "done"


def test_ledger_shows_balanced_books_after_payment_and_refund(client):
    empty = client.get("/api/ledger").json()
    assert empty["balanced"] is True and empty["entries"] == []
    charge = pay(client)
    after_payment = client.get("/api/ledger").json()
    assert after_payment["balanced"] is True
    assert after_payment["entries"], "a payment writes ledger rows"
    assert all(entry["charge_id"] == charge["id"] for entry in after_payment["entries"])
    assert any(b["profile"] == "alice" for b in after_payment["balances"])
    client.post(f"/api/charges/{charge['id']}/refunds", json={})
    after_refund = client.get("/api/ledger").json()
    assert after_refund["balanced"] is True
    assert len(after_refund["entries"]) > len(after_payment["entries"])


def test_charges_list_filters_by_state(client):
    pay(client)
    pay(client, token="tok_decline")
    states = [c["state"] for c in client.get("/api/charges").json()["charges"]]
    assert sorted(states) == ["done", "failed"]
    assert [c["state"] for c in client.get("/api/charges", params={"state": "failed"}).json()["charges"]] == ["failed"]


def test_a_signed_webhook_is_stored_then_acknowledged_once(client, payproc_app):
    charge = pay(client)
    account = processor.get_account(payproc_app.backend.settings.ACCOUNT)
    body, headers = account.refund_from_dashboard(charge["processor_key"], 800)
    answer = client.post("/webhooks/fake", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "applied"
    assert answer.json()["charge_id"] == charge["id"]
    event_id = answer.json()["event_id"]
    assert stored_events(payproc_app) == [(event_id, True)]
    assert client.get(f"/api/charges/{charge['id']}").json()["amount_refunded"] == 800

    again = client.post("/webhooks/fake", content=body, headers=headers)
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert client.get(f"/api/charges/{charge['id']}").json()["amount_refunded"] == 800


@pytest.mark.parametrize("tamper", ["wrong_secret", "no_header", "altered_body", "garbage_header"])
def test_a_bad_signature_is_400_never_500(client, payproc_app, tamper, webhook_secret):
    body, headers = build_event(EventType.CHARGE_SUCCEEDED, "ch_fake_x", secret=webhook_secret, amount=100,
                                currency="usd")
    if tamper == "wrong_secret":
        body, headers = build_event(EventType.CHARGE_SUCCEEDED, "ch_fake_x", secret="whsec_other", amount=100,
                                    currency="usd")
    elif tamper == "no_header":
        headers = {"content-type": "application/json"}
    elif tamper == "altered_body":
        body = body.replace(b"100", b"999")
    else:
        headers = {**headers, "payproc-fake-signature": "t=abc,v1="}
    answer = client.post("/webhooks/fake", content=body, headers=headers)
    assert answer.status_code == 400
    assert answer.json()["error"] == "webhook_verification_failed"
    assert stored_events(payproc_app) == []


def test_an_event_for_a_charge_not_known_yet_is_kept(client, payproc_app, webhook_secret):
    body, headers = build_event(EventType.CHARGE_SUCCEEDED, "ch_fake_later", secret=webhook_secret, amount=100,
                                currency="usd")
    answer = client.post("/webhooks/fake", content=body, headers=headers)
    assert answer.status_code == 200
    assert answer.json()["status"] == "pending"
    assert [applied for _, applied in stored_events(payproc_app)] == [False]


def test_webhooks_for_another_backend_are_404(client):
    answer = client.post("/webhooks/stripe", content=b"{}")
    assert answer.status_code == 404
    assert "webhooks/fake" in answer.json()["message"]


def test_an_event_that_cannot_be_stored_is_500_so_the_processor_retries(client, payproc_app, monkeypatch,
                                                                       webhook_secret):
    body, headers = build_event(EventType.CHARGE_SUCCEEDED, "ch_fake_x", secret=webhook_secret, amount=100,
                                currency="usd")

    def database_down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionError("database unavailable")

    monkeypatch.setattr(payproc_app.db, "transaction", database_down)
    answer = client.post("/webhooks/fake", content=body, headers=headers)
    assert answer.status_code == 500
    assert answer.json()["error"] == "webhook_not_stored"
