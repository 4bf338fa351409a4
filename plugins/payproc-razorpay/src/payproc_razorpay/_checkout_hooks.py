"""Story: a customer pays a charge through Razorpay Checkout.

Hooks: ``browser_integration``, ``minimum_amount``,
``get_payment_context`` (the order), ``create_payment`` (the handler's
answer, signature checked against the stored order, then capture) and
``complete_payment`` (the customer's return, settled from Razorpay's
records). The work is in :mod:`.checkout`, :mod:`.payments` and
:mod:`.settle`, imported when a hook runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from payproc import hookimpl
from payproc.errors import InvalidInput, ProcessorError

from ._base import BackendBase

if TYPE_CHECKING:
    from payproc.types import BrowserIntegration, ChargeRef, Party, PaymentContext, PaymentRequest, PaymentResult

__all__ = ["CHECKOUT_JS", "CheckoutHooks"]

CHECKOUT_JS = "https://checkout.razorpay.com/v1/checkout.js"


class CheckoutHooks(BackendBase):
    @hookimpl
    def browser_integration(self) -> BrowserIntegration:
        from payproc.types import BrowserIntegration

        return BrowserIntegration(
            token_field="razorpay_payment_id",
            script_urls=(CHECKOUT_JS,),
            notes="Razorpay Checkout's handler gives razorpay_payment_id, razorpay_order_id and "
            "razorpay_signature; the signature is checked against the order stored with the charge "
            "(a posted razorpay_order_id must name that same order).",
        )

    @hookimpl
    def minimum_amount(self, currency: str) -> int:
        """One unit of the currency (₹1.00 = 100 paise): Razorpay's
        documented order minimum."""
        from .amounts import minimum_amount

        return minimum_amount(currency)

    @hookimpl
    def get_payment_context(
        self, subscriber: Party, amount: int | None, currency: str | None, provider: Party, broker: Party,
        idempotency_key: str | None,
    ) -> PaymentContext:
        from .checkout import card_context, payment_context

        if amount is None:
            return card_context(self.client, subscriber, provider, idempotency_key)
        return payment_context(self.client, subscriber, amount, currency or "", provider, idempotency_key)

    @hookimpl
    def create_payment(self, request: PaymentRequest, reference: str | None) -> PaymentResult:
        """A Checkout answer (``razorpay_payment_id`` + signature) for the
        charge's stored order. With ``request.save_card`` the card is kept
        (``card_key``) only if this payment saved a recurring card token
        Razorpay confirmed; otherwise the payment is still captured and
        booked and the card on file is unchanged (logged). The backend does
        not declare ``saves_card_with_payment``: Checkout saves a recurring
        card only on a card-update order (``update_card``)."""
        from dataclasses import replace

        from .amounts import check_amount
        from .cards import Cards
        from .payments import Payments
        from .recurring import charge_customer

        currency = check_amount(request.amount, request.currency)
        token = request.token or ""
        if token.startswith("cust_"):
            # A card on file passed as the token (djaodjin's remember_card
            # path): only the payer's own. A customer id is no secret, and
            # charging it is charging whoever's card it is.
            if token != request.customer.keys.card_key:
                raise InvalidInput("the token names a card on file that is not this customer's: nothing was charged")
            return charge_customer(self.client, request, token, currency)
        if not reference:
            raise ProcessorError(
                "no Razorpay order is stored for this charge: get_payment_context must run "
                "before checkout, and its reference be kept with the charge"
            )
        if not token.startswith("pay_"):
            raise ProcessorError(f"razorpay_payment_id must be a Razorpay payment id (pay_…), got {token[:20]!r}")
        payments = Payments(self.client)
        payments.verify_checkout(reference, token, request.browser_fields.get("razorpay_signature"),
                                 request.browser_fields.get("razorpay_order_id"))
        payment = payments.fetch(token, request.provider.slug)
        result = payments.settle(payment, reference, request.amount, currency, request.provider.slug)
        if request.save_card:
            result = replace(result, card_key=Cards(self.client).kept_by(request.customer, payment, request.provider.slug))
        return result

    @hookimpl
    def complete_payment(self, charge: ChargeRef, params: Mapping[str, str]) -> PaymentResult:
        from .settle import Settle

        return Settle(self.client).complete(charge, params)
