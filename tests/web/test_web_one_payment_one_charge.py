"""One processor payment pays one purchase. A backend that answers a
checkout with a payment another charge already holds (a token of an
earlier purchase, accepted by a backend that does not bind tokens to their
purchase) does not pay the new purchase: one JSON error, the new charge is
not done and flagged for review, the books unchanged — not a 500."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from payproc.db.models import ChargeRow, LedgerRow
from payproc_fake.backend import FakeBackend
from sqlalchemy import func, select


@pytest.fixture
def reused_payment(monkeypatch) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """While ``answer["key"]`` is set, the fake backend answers every
    payment with that processor key (and ``answer["amount"]`` if set)."""
    answer: dict[str, Any] = {}
    charge = FakeBackend._charge

    def answering(self, request, source):  # type: ignore[no-untyped-def]
        result = charge(self, request, source)
        if "key" in answer:
            result = dataclasses.replace(result, processor_key=answer["key"],
                                         amount=answer.get("amount", result.amount))
        return result

    monkeypatch.setattr(FakeBackend, "_charge", answering)
    return answer


def books(app) -> tuple[int, list[tuple[Any, ...]]]:  # type: ignore[no-untyped-def]
    with app.db.reading() as session:
        rows = int(session.scalar(select(func.count()).select_from(LedgerRow)) or 0)
        charges = [(c.id, c.state, c.processor_key, c.needs_review)
                   for c in session.scalars(select(ChargeRow).order_by(ChargeRow.id))]
    return rows, charges


@pytest.mark.parametrize("token,amount", [("tok_visa", None), ("tok_3ds", None), ("tok_visa", 1999)])
def test_a_payment_booked_to_another_charge_does_not_pay_a_second_one(client, payproc_app, reused_payment,
                                                                       token, amount):
    first = client.post("/api/checkout", json={"amount": 2000, "currency": "usd", "stripeToken": "tok_visa"}).json()
    assert first["state"] == "done"
    reused_payment["key"] = first["processor_key"]
    if amount is not None:
        reused_payment["amount"] = amount
    rows, _charges = books(payproc_app)
    answer = client.post("/api/checkout", json={"amount": 2000, "currency": "usd", "stripeToken": token})
    assert answer.status_code == 502, answer.text
    body = answer.json()
    assert body["error"] == "integrity_mismatch" and "already booked to another charge" in body["message"]
    assert body["charge"]["state"] != "done" and body["charge"]["processor_key"] is None
    assert body["charge"]["needs_review"] is True
    after_rows, after = books(payproc_app)
    assert after_rows == rows and payproc_app.check_books().balanced
    assert after[0] == (first["id"], "done", first["processor_key"], False)
    # the purchase is not held: its poll asks the processor about this
    # purchase's own key, and never books the other charge's payment to it
    poll = client.get(f"/api/checkout/{body['idempotency_key']}")
    assert poll.status_code == 200 and poll.json()["processor_key"] != first["processor_key"]
    assert payproc_app.check_books().balanced
