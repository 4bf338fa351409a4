"""Whose card a payment puts on file, through the core's public API.

A Razorpay payment id is no secret (it is in the customer's receipts, the
page's fields, support mails), and a browser chooses Checkout's options,
``customer_id`` included. A card is kept only from a payment on an order
payproc opened for the subscriber, saved on the subscriber's own Razorpay
customer; anything else is ``InvalidInput`` (as for Stripe and the fake) and
no card on file changes.
"""

from __future__ import annotations

import pytest
from payproc.errors import InvalidInput
from razorpay_app import CUSTOMER, PROVIDER_SLUG, Shop

THIEF = "ravi"


@pytest.fixture
def shop(backdoor, tmp_path):
    """Asha saved a card with the card-update checkout; Ravi is another
    customer of the same shop."""
    shop = Shop(backdoor, tmp_path)
    shop.app.add_profile(THIEF, "Ravi Iyer", "ravi@example.com", phone="+919812345678")
    shop.owner_payment = shop.card_payment(CUSTOMER, last4="1111")
    assert shop.app.update_card(CUSTOMER, shop.owner_payment).last4 == "1111", "her own payment saves her card"
    yield shop
    shop.app.db.engine.dispose()


def cards_on_file(shop):
    return {slug: (shop.app.party(slug).keys.card_key, shop.app.retrieve_card(slug)) for slug in (CUSTOMER, THIEF)}


def owner_customer(shop):
    return shop.app.party(CUSTOMER).keys.card_key


@pytest.fixture(params=[False, True], ids=["thief-without-card", "thief-with-card"])
def thief_card(shop, request):
    if request.param:
        assert shop.save_card(THIEF, last4="2222").last4 == "2222"
    return request.param


def test_another_customers_card_update_payment_is_refused(shop, thief_card):
    before = cards_on_file(shop)
    with pytest.raises(InvalidInput, match="another customer"):
        shop.app.update_card(THIEF, shop.owner_payment)
    assert cards_on_file(shop) == before


def test_a_payment_on_an_order_payproc_did_not_open_is_refused(shop, thief_card):
    """A card-update payment on an order and customer made outside payproc
    (another integration on the same Razorpay account): no profile of
    payproc's is named in it."""
    foreign = shop.harness.backdoor("card_checkout", {"card": {"last4": "3333"}})
    assert foreign["customer_id"] and foreign["token_id"]
    before = cards_on_file(shop)
    with pytest.raises(InvalidInput, match="not opened by payproc for this customer"):
        shop.app.update_card(THIEF, foreign["id"])
    assert cards_on_file(shop) == before


def test_a_payment_without_an_order_is_refused(shop, thief_card):
    """Checkout opened with an amount and no order, on Asha's customer: it
    saved a card on her customer, and names no order to bind it to anyone."""
    orderless = shop.harness.backdoor("checkout", {"amount": 100, "currency": "INR", "save": True,
                                                   "customer_id": owner_customer(shop), "card": {"last4": "4444"}})
    assert orderless["order_id"] is None and orderless["token_id"]
    before = cards_on_file(shop)
    with pytest.raises(InvalidInput, match="no order"):
        shop.app.update_card(THIEF, orderless["id"])
    assert cards_on_file(shop) == before


def test_own_card_update_order_paid_on_another_customers_customer_is_refused(shop, thief_card):
    """Ravi's own card-update page, its Checkout given Asha's ``customer_id``
    (and her saved card): the order is his, the card saved is on her
    customer; keeping it would charge Asha's card for Ravi's renewals."""
    owner_token = shop.harness.backdoor(f"payments/{shop.owner_payment}")["token_id"]
    prepared = shop.app.payment_context(THIEF)
    from payproc.types import PaymentContext

    context = PaymentContext(prepared.values, prepared.token_field, None)
    payment, _ = shop.harness.pay(context, 100, "inr", customer_id=owner_customer(shop), token_id=owner_token)
    before = cards_on_file(shop)
    with pytest.raises(InvalidInput, match="another customer"):
        shop.app.update_card(THIEF, payment)
    assert cards_on_file(shop) == before


def test_remember_card_keeps_no_card_of_another_customer(shop, thief_card, fake):
    """``remember_card`` on Ravi's own charge, his page giving Checkout
    Asha's customer and her saved card (whose mandate is confirmed): the
    payment is booked, and no card on file changes."""
    owner_token = shop.harness.backdoor(f"payments/{shop.owner_payment}")["token_id"]
    key, token, fields = shop.pay_page(50000, customer=THIEF, customer_id=owner_customer(shop), token_id=owner_token)
    before = cards_on_file(shop)
    charge = shop.app.checkout(THIEF, 50000, "inr", token, idempotency_key=key, browser_fields=fields,
                               provider=PROVIDER_SLUG, remember_card=True)
    assert charge.state == "done" and fake.state.payments[token]["captured"], "the payment is booked all the same"
    assert cards_on_file(shop) == before


def test_remember_card_with_the_customers_own_saved_card_keeps_it(shop, fake):
    owner_token = shop.harness.backdoor(f"payments/{shop.owner_payment}")["token_id"]
    key, token, fields = shop.pay_page(50000, token_id=owner_token)
    charge = shop.app.checkout(CUSTOMER, 50000, "inr", token, idempotency_key=key, browser_fields=fields,
                               provider=PROVIDER_SLUG, remember_card=True)
    assert charge.state == "done" and fake.state.payments[token]["token_id"] == owner_token
    assert shop.app.party(CUSTOMER).keys.card_key == fake.state.payments[token]["customer_id"]
    assert shop.app.retrieve_card(CUSTOMER).last4 == "1111"
