"""Disputes through the core's public API: two on one payment are both booked."""

from __future__ import annotations

from razorpay_app import CUSTOMER, PROVIDER_SLUG


def test_a_won_chargeback_then_a_pre_arbitration_are_both_booked(shop, backdoor):
    from payproc.db.models import DisputeRow
    from sqlalchemy import select

    key, token, fields = shop.pay_page(50000)
    charge = shop.app.checkout(CUSTOMER, 50000, "inr", token, idempotency_key=key, browser_fields=fields,
                               provider=PROVIDER_SLUG)
    shop.skip_deliveries()
    first = backdoor.backdoor("disputes", {"payment_id": token, "amount": 30000})
    shop.deliver()
    assert shop.app.get_charge(charge.id).state == "disputed"
    backdoor.backdoor(f"disputes/{first['id']}/close", {"status": "won"})
    shop.deliver()
    assert shop.app.get_charge(charge.id).state == "done"
    second = backdoor.backdoor("disputes", {"payment_id": token, "amount": 30000, "phase": "pre_arbitration"})
    outcomes = shop.deliver()
    assert [o.status for o in outcomes] == ["applied"]
    assert shop.app.get_charge(charge.id).state == "disputed"
    backdoor.backdoor(f"disputes/{second['id']}/close", {"status": "lost"})
    shop.deliver()
    assert shop.app.get_charge(charge.id).state == "lost"
    with shop.app.db.transaction() as session:
        rows = session.execute(select(DisputeRow.processor_key, DisputeRow.kind, DisputeRow.state,
                                      DisputeRow.amount).where(DisputeRow.charge_id == charge.id)
                               .order_by(DisputeRow.id)).all()
    assert [tuple(r) for r in rows] == [(first["id"], "chargeback", "won", 30000),
                                        (second["id"], "pre_arbitration", "lost", 30000)]
    assert shop.app.check_books().balanced
