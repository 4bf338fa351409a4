"""Payments: checkout answers, captures, recurring charges and their state.

A Razorpay payment made through Checkout is *authorized*; it becomes money
only once *captured*. The backend captures it itself (unless the order was
created with auto-capture) after checking, in this order: the checkout
signature over our stored order id, that the payment belongs to that order,
that it has not failed, and that its amount and currency are the charge's.
A mismatch is refused before capture, so no money moves for it.

A payment still ``created`` (a UPI collect request the customer has not
approved, a recurring debit Razorpay makes hours later) is not captured and
not failed: it is reported ``PENDING`` until Razorpay says otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from payproc.errors import CardError, IntegrityMismatch, ProcessorError
from payproc.types import ChargeStatus, PaymentResult

from .amounts import mismatch
from .client import RazorpayClient
from .convert import charge_status, from_timestamp, receipt
from .signatures import checkout_signature, signature_matches

__all__ = ["Payments"]

_EXPAND_CARD = {"expand[]": "card"}


class Payments:
    """Payment operations on one client."""

    def __init__(self, client: RazorpayClient) -> None:
        self.client = client

    def fetch(self, payment_id: str, provider: str | None = None) -> Mapping[str, Any]:
        return self.client.call(self.client.sdk.payment.fetch, payment_id, dict(_EXPAND_CARD), provider=provider)

    def verify_checkout(self, order_id: str, payment_id: str, signature: object, posted_order: object = None) -> None:
        """Refuse a checkout answer not signed by Razorpay for *our* order
        (``order_id``, the one stored with the charge): the handler's
        ``razorpay_order_id``, when posted, must name it too."""
        if posted_order not in (None, "") and posted_order != order_id:
            raise ProcessorError(
                "the posted razorpay_order_id is not this charge's order: the page paid another order"
            )
        secret = self.client.settings.PRIV_KEY.get_secret_value()
        if not signature_matches(checkout_signature(order_id, payment_id, secret), signature):
            raise ProcessorError(
                "the Razorpay checkout signature does not match this charge's order and payment "
                "(razorpay_signature missing, forged, or made for another order)"
            )

    @staticmethod
    def check_belongs(payment: Mapping[str, Any], order_id: str) -> None:
        if payment.get("order_id") != order_id:
            raise IntegrityMismatch(
                f"Razorpay payment {payment.get('id')} belongs to order {payment.get('order_id')}, not {order_id}"
            )

    @staticmethod
    def check_not_failed(payment: Mapping[str, Any]) -> None:
        if charge_status(payment) is ChargeStatus.FAILED:
            raise CardError(
                str(payment.get("error_description") or "the payment failed"),
                str(payment.get("error_reason") or payment.get("error_code") or "payment_failed"),
                charge_processor_key=payment.get("id"),
            )

    @staticmethod
    def check_amount(payment: Mapping[str, Any], amount: int, currency: str) -> None:
        if payment.get("amount") != amount or str(payment.get("currency", "")).lower() != currency:
            raise mismatch(f"Razorpay payment {payment.get('id')}", payment, amount, currency)

    def capture(self, payment: Mapping[str, Any], provider: str | None = None) -> Mapping[str, Any]:
        """Capture an authorized payment for exactly its amount; a payment
        already captured (auto-capture, an earlier retry) is left alone."""
        if payment.get("status") != "authorized":
            return payment
        client = self.client
        try:
            client.call(
                client.sdk.payment.capture,
                payment["id"],
                payment["amount"],
                {"currency": payment["currency"]},
                provider=provider,
            )
        except ProcessorError as error:
            if type(error) is not ProcessorError:
                raise
            current = self.fetch(payment["id"], provider)
            if current.get("status") == "authorized":
                raise
            return current  # captured meanwhile (a concurrent retry)
        # The capture answer has no card details: fetch the payment once more.
        return self.fetch(payment["id"], provider)

    def settle(
        self, payment: Mapping[str, Any], order_id: str, amount: int, currency: str, provider: str | None
    ) -> PaymentResult:
        """Checks, capture and result common to checkout and recurring payments."""
        self.check_belongs(payment, order_id)
        self.check_not_failed(payment)
        self.check_amount(payment, amount, currency)
        payment = self.capture(payment, provider)
        self.check_not_failed(payment)
        self.check_amount(payment, amount, currency)
        return self.result(payment)

    @staticmethod
    def result(payment: Mapping[str, Any], card_key: str | None = None) -> PaymentResult:
        """The payment as payproc's result; ``card_key`` when it left a card
        on file (:meth:`payproc_razorpay.cards.Cards.kept_by`)."""
        status = charge_status(payment)
        return PaymentResult(
            processor_key=str(payment["id"]),
            amount=int(payment["amount"]),
            currency=str(payment["currency"]).lower(),
            created_at=from_timestamp(payment.get("created_at")),
            status=status,
            receipt=receipt(payment),
            card_key=card_key,
        )

    @staticmethod
    def best_of(payments: list[Mapping[str, Any]]) -> Mapping[str, Any] | None:
        """The payment that tells an order's outcome: a captured one, else an
        authorized or pending one, else the latest failure."""
        rank = {ChargeStatus.SUCCEEDED: 0, ChargeStatus.PENDING: 1, ChargeStatus.FAILED: 2}
        ordered = sorted(payments, key=lambda p: (rank[charge_status(p)], -int(p.get("created_at") or 0)))
        return ordered[0] if ordered else None
