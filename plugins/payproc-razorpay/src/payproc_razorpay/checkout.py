"""Razorpay Checkout: the order a page pays and the values Checkout needs.

A charge's context is one Razorpay Order (see :mod:`.orders`) whose id the
core stores as the charge's ``reference``; Checkout's ``handler`` then hands
the page ``razorpay_payment_id``, ``razorpay_order_id`` and
``razorpay_signature``, which :func:`create_payment`-side code checks against
the *stored* order, never the posted one. A card-update context (no amount)
is a small authorization order on the subscriber's Razorpay Customer with a
recurring ``token`` block, so the checkout leaves a recurring card token.
"""

from __future__ import annotations

from typing import Any

from payproc.types import Party, PaymentContext

from ._base import notes_for
from .amounts import check_amount
from .cards import Cards
from .client import RazorpayClient
from .orders import find_or_create_order

__all__ = ["TOKEN_FIELD", "card_context", "payment_context"]

TOKEN_FIELD = "razorpay_payment_id"


def _prefill(subscriber: Party) -> dict[str, str]:
    values = {"name": subscriber.name, "email": subscriber.email, "contact": subscriber.phone}
    return {key: value for key, value in values.items() if value}


def _context(values: dict[str, Any], order_id: str) -> PaymentContext:
    """Checkout's options for the page; the order id is kept by the core as
    the charge's ``reference``. No ``next_action``: the page tokenizes with
    Checkout and posts the handler's fields to ``create_payment``."""
    return PaymentContext(values=values, token_field=TOKEN_FIELD, reference=order_id)


def payment_context(
    client: RazorpayClient, subscriber: Party, amount: int, currency: str, provider: Party,
    idempotency_key: str | None,
) -> PaymentContext:
    """The charge's order (found again by receipt on a reload) and
    Checkout's options. Checkout orders are captured by the backend after
    the signature and amount checks (``AUTO_CAPTURE`` lets Razorpay do it)."""
    currency = check_amount(amount, currency)
    order = find_or_create_order(
        client, amount=amount, currency=currency, idempotency_key=idempotency_key,
        notes=notes_for(idempotency_key, subscriber=subscriber.slug, provider=provider.slug, flow="checkout"),
        provider=provider.slug, capture=client.settings.AUTO_CAPTURE,
    )
    values: dict[str, Any] = {
        "key": client.settings.PUB_KEY,
        "order_id": order["id"],
        "amount": amount,
        "currency": currency.upper(),
        "name": provider.name,
        "prefill": _prefill(subscriber),
    }
    if subscriber.keys.card_key and subscriber.keys.card_key.startswith("cust_"):
        values["customer_id"] = subscriber.keys.card_key
    return _context(values, str(order["id"]))


def card_context(
    client: RazorpayClient, subscriber: Party, provider: Party, idempotency_key: str | None
) -> PaymentContext:
    """A card-update checkout: an authorization (never captured: Razorpay
    gives uncaptured authorizations back) that saves a recurring token. The
    order's notes name the subscriber and their Razorpay customer: they
    are what binds the payment to this subscriber when its id is posted as
    the card (the browser sets Checkout's options, not the order's notes)."""
    settings = client.settings
    currency = check_amount(settings.CARD_AUTH_AMOUNT, settings.CARD_AUTH_CURRENCY)
    customer = Cards(client).customer_for(subscriber)
    order = find_or_create_order(
        client, amount=settings.CARD_AUTH_AMOUNT, currency=currency, idempotency_key=idempotency_key,
        notes=notes_for(idempotency_key, subscriber=subscriber.slug, purpose="card", customer=str(customer["id"])),
        provider=provider.slug, capture=False,
        extra={
            "customer_id": customer["id"],
            "method": "card",
            "token": {"max_amount": settings.TOKEN_MAX_AMOUNT, "frequency": "as_presented"},
        },
    )
    values: dict[str, Any] = {
        "key": settings.PUB_KEY,
        "order_id": order["id"],
        "customer_id": customer["id"],
        "recurring": "1",
        "amount": settings.CARD_AUTH_AMOUNT,
        "currency": currency.upper(),
        "name": provider.name,
        "prefill": _prefill(subscriber),
    }
    return _context(values, str(order["id"]))
