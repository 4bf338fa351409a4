"""A refund posted in another currency than its charge's is a mistake: 400,
and nothing changes (issue 14, item 10)."""

from __future__ import annotations

import pytest
from payproc.db.models import LedgerRow, RefundRow
from sqlalchemy import func, select


def _counts(app) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with app.db.transaction() as session:
        return (int(session.scalar(select(func.count()).select_from(LedgerRow)) or 0),
                int(session.scalar(select(func.count()).select_from(RefundRow)) or 0))


@pytest.mark.parametrize("body", [
    {"amount": 500, "currency": "eur"},
    {"amount_major": "5.00", "currency": "EUR"},
    {"currency": "jpy"},
])
def test_a_refund_in_another_currency_is_400_and_changes_nothing(client, payproc_app, body):
    paid = client.post("/api/checkout", json={"amount": 2000, "currency": "usd", "stripeToken": "tok_visa"}).json()
    before = _counts(payproc_app)
    answer = client.post(f"/api/charges/{paid['id']}/refunds", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "currency_mismatch"
    assert "USD" in answer.json()["message"]
    assert _counts(payproc_app) == before
    assert client.get(f"/api/charges/{paid['id']}").json()["amount_refunded"] == 0


def test_a_refund_in_the_charges_currency_any_case_is_taken(client):
    paid = client.post("/api/checkout", json={"amount": 2000, "currency": "usd", "stripeToken": "tok_visa"}).json()
    answer = client.post(f"/api/charges/{paid['id']}/refunds", json={"amount": 500, "currency": "USD"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["charge"]["amount_refunded"] == 500
