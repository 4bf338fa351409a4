"""Charges on the card on file: Razorpay's recurring payments.

Razorpay's documented flow for a subsequent payment is a new order with
``payment_capture: true`` and ``POST /v1/payments/create/recurring`` with the
customer's ``token``, ``email`` and ``contact``. The debit itself is
asynchronous: Razorpay notifies the customer and charges the card later
(36 hours by default for cards), so the payment comes back ``created`` and the
charge stays ``PENDING`` until ``payment.captured`` (or ``payment.failed``)
arrives or ``retrieve_charge`` sees it. The order captures by itself the
moment Razorpay authorizes the debit: an authorized renewal is never left
for Razorpay to refund.

The token charged is the newest one of the customer that is a card with
``recurring: true`` and ``recurring_details.status == "confirmed"``; which
one is logged (the receipt shows its card).
"""

from __future__ import annotations

import logging
from typing import Any

from payproc.errors import CardError
from payproc.types import ChargeStatus, PaymentRequest, PaymentResult

from ._base import notes_for
from .cards import Cards
from .client import RazorpayClient
from .convert import charge_status
from .errors import MissingContact
from .orders import find_or_create_order, order_payments
from .payments import Payments

__all__ = ["charge_customer", "check_contact"]

LOGGER = logging.getLogger("payproc.razorpay")


def check_contact(request: PaymentRequest) -> tuple[str, str]:
    """The customer's (phone, e-mail), or :class:`MissingContact` before any
    request is sent."""
    phone, email = request.customer.phone, request.customer.email
    missing = tuple(name for name, value in (("phone", phone), ("email", email)) if not value)
    if missing:
        raise MissingContact(request.customer.slug, missing)
    assert phone is not None and email is not None
    return phone, email


def charge_customer(client: RazorpayClient, request: PaymentRequest, customer_id: str, currency: str) -> PaymentResult:
    """One recurring payment for ``request`` (a retry finds the order's
    earlier payment instead of paying twice)."""
    phone, email = check_contact(request)
    provider = request.provider.slug
    payments = Payments(client)
    token = Cards(client).recurring_token(customer_id, provider)
    if token is None:
        raise CardError(f"{request.customer.slug} has no usable Razorpay card on file (no confirmed recurring "
                        "card token)", "card_absent")
    order = find_or_create_order(
        client, amount=request.amount, currency=currency, idempotency_key=request.idempotency_key,
        notes=notes_for(request.idempotency_key, subscriber=request.customer.slug, provider=provider,
                        flow="recurring"),
        provider=provider, capture=True, extra={"customer_id": customer_id},
    )
    earlier = payments.best_of(order_payments(client, order["id"], provider)) if order.get("attempts") else None
    if earlier is not None and charge_status(earlier) is not ChargeStatus.FAILED:
        payment = payments.fetch(earlier["id"], provider)  # a retry: never pay twice
    else:
        data: dict[str, Any] = {
            "amount": request.amount,
            "currency": currency.upper(),
            "order_id": order["id"],
            "customer_id": customer_id,
            "token": token["id"],
            "recurring": "1",
            "email": email,
            "contact": phone,
            "description": (request.descr or request.provider.name)[:255],
            "notes": notes_for(request.idempotency_key, provider=provider),
        }
        LOGGER.info("razorpay: recurring payment of %s on order %s with token %s (card %s)",
                    request.idempotency_key, order["id"], token["id"], Cards.describe(token))
        answer = client.call(client.sdk.payment.createRecurring, data, provider=provider)
        payment_id = str(answer.get("razorpay_payment_id") or "")
        payments.verify_checkout(order["id"], payment_id, answer.get("razorpay_signature"))
        payment = payments.fetch(payment_id, provider)
    return payments.settle(payment, str(order["id"]), request.amount, currency, provider)
