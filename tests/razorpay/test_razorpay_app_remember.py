"""Saving a first card while paying, through the core's public API: the
payment is booked whatever happens to the card (issue 17 item 7)."""

from __future__ import annotations

from razorpay_app import CUSTOMER, PROVIDER_SLUG, Shop


def test_remember_card_on_a_first_auto_captured_payment_books_it(backdoor, tmp_path, fake):
    shop = Shop(backdoor, tmp_path, overrides={"AUTO_CAPTURE": True})
    key, token, fields = shop.pay_page(50000)
    assert fake.state.payments[token]["captured"], "Razorpay captured it at once (auto-capture order)"
    charge = shop.app.checkout(CUSTOMER, 50000, "inr", token, idempotency_key=key, browser_fields=fields,
                               provider=PROVIDER_SLUG, remember_card=True)
    assert charge.state == "done" and charge.processor_key == token
    assert shop.app.check_books().balanced and shop.app.balances()[(CUSTOMER, "Liability", "inr")] == -50000
    assert shop.app.party(CUSTOMER).keys.card_key is None, "no recurring card was saved: none is claimed"
    assert len(backdoor.processor_charges(key)) == 1
    shop.app.db.engine.dispose()
