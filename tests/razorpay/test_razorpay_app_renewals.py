"""Renewals on the card on file, through the core's public API: the phone
Razorpay requires, the delayed debit, and the books."""

from __future__ import annotations

import pytest
from razorpay_app import CUSTOMER


def test_a_renewal_without_the_customers_phone_is_refused_and_nothing_changes(shop, fake):
    from payproc_razorpay.errors import MissingContact

    shop.save_card()
    shop.app.set_phone(CUSTOMER, None)
    requests, balances, payments = len(fake.state.requests), shop.app.balances(), len(fake.state.payments)
    with pytest.raises(MissingContact, match="phone") as caught:
        shop.app.checkout(CUSTOMER, 75000, "inr")
    assert caught.value.missing == ("phone",)
    assert len(fake.state.requests) == requests, "nothing was sent to Razorpay"
    assert len(fake.state.payments) == payments
    assert not [o for o in fake.state.orders.values() if isinstance(o["notes"], dict)
                and o["notes"].get("payproc_flow") == "recurring"], "no renewal order was opened"
    assert shop.app.balances() == balances, "nothing was booked"
    assert [c.state for c in shop.app.list_charges()] == ["failed"], "the charge is not left in progress"
    assert shop.settle() == []


def test_a_renewal_is_pending_until_razorpay_debits_then_booked_once(shop, fake, backdoor):
    shop.save_card(last4="4444")
    shop.skip_deliveries()
    charge = shop.app.checkout(CUSTOMER, 75000, "inr")
    assert charge.state == "created" and charge.processor_key.startswith("pay_")
    assert shop.app.balances() == {}, "nothing is money before Razorpay debits"
    assert fake.state.payments[charge.processor_key]["contact"] == "+919876543210"
    assert shop.settle() == [] and shop.app.get_charge(charge.id).state == "created"
    backdoor.debit_due()
    outcomes = shop.deliver()
    assert [o.status for o in outcomes if o.type == "charge.succeeded"] == ["applied"]
    done = shop.app.get_charge(charge.id)
    assert done.state == "done" and done.last4 == "4444"
    books = shop.app.balances()
    assert shop.deliver() == [] and shop.app.balances() == books
    for body, headers in backdoor.deliveries("payment.captured"):  # Razorpay delivers again
        assert shop.app.handle_webhook(body, headers).status == "duplicate"
    assert shop.app.balances() == books and shop.app.check_books().balanced
    assert [(p["id"], p["status"]) for p in backdoor.processor_charges(charge.idempotency_key)] == [
        (charge.processor_key, "succeeded")]


def test_a_debited_renewal_is_booked_by_settle_without_webhooks(shop, backdoor):
    shop.save_card()
    charge = shop.app.checkout(CUSTOMER, 75000, "inr")
    backdoor.debit_due()
    assert [c.id for c in shop.settle()] == [charge.id]
    assert shop.app.get_charge(charge.id).state == "done" and shop.app.check_books().balanced


def test_a_renewal_the_bank_refuses_later_is_failed_by_razorpays_word(shop, fake, backdoor):
    shop.save_card()
    [token_id] = [t for t in fake.state.tokens]
    backdoor.backdoor("tokens/decline", {"token_id": token_id})
    shop.skip_deliveries()
    charge = shop.app.checkout(CUSTOMER, 75000, "inr")
    assert charge.state == "created"
    backdoor.debit_due()
    shop.deliver()
    assert shop.app.get_charge(charge.id).state == "failed" and shop.app.balances() == {}
