"""Story: charges after the checkout — the card on file, unknown outcomes,
captures, abandoned orders, and how a charge's money splits.

Hooks: ``create_charge`` (a recurring payment, :mod:`.recurring`),
``retrieve_charge``, ``cancel_payment``, ``capture_charge`` and
``list_payments`` (:mod:`.settle`), ``charge_distribution``,
``dispute_fee``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from payproc import hookimpl
from payproc.errors import CardError

from ._base import BackendBase

if TYPE_CHECKING:
    from payproc.types import ChargeInfo, ChargeRef, Distribution, PaymentRequest, PaymentResult

__all__ = ["ChargeHooks"]


class ChargeHooks(BackendBase):
    @hookimpl
    def create_charge(self, request: PaymentRequest) -> PaymentResult:
        """A recurring payment on the customer's confirmed card token. It is
        usually ``PENDING``: Razorpay debits the card later and captures it
        by itself (the order has ``payment_capture``)."""
        from .amounts import check_amount
        from .recurring import charge_customer, check_contact

        check_contact(request)
        currency = check_amount(request.amount, request.currency)
        customer_id = request.customer.keys.card_key
        if not customer_id or not customer_id.startswith("cust_"):
            raise CardError(f"{request.customer.slug} has no Razorpay card on file", "card_absent")
        return charge_customer(self.client, request, customer_id, currency)

    @hookimpl
    def retrieve_charge(self, charge: ChargeRef) -> ChargeInfo:
        from .settle import Settle

        return Settle(self.client).retrieve(charge)

    @hookimpl
    def cancel_payment(self, charge: ChargeRef) -> ChargeInfo:
        """Razorpay orders cannot be cancelled and do not expire: this
        answers Razorpay's current view (never ``CANCELED``), so the core
        keeps a charge its customer may still pay."""
        from .settle import Settle

        return Settle(self.client).cancel(charge)

    @hookimpl
    def capture_charge(self, charge: ChargeRef) -> PaymentResult:
        from .settle import Settle

        return Settle(self.client).capture(charge)

    @hookimpl
    def list_payments(self, since: datetime, until: datetime) -> Sequence[ChargeInfo]:
        from .settle import Settle

        return Settle(self.client).list(since, until)

    @hookimpl
    def charge_distribution(self, charge: ChargeRef, refunded: int, broker_fee_amount: int) -> Distribution:
        """Razorpay's ``fee`` already includes GST (``tax`` is its GST part)
        and is kept by Razorpay on refunds; fees are charged in INR."""
        from payproc.types import Distribution

        from .payments import Payments

        remaining = charge.amount - refunded
        fee = 0
        if charge.processor_key:
            payment = Payments(self.client).fetch(charge.processor_key, charge.provider.slug)
            fee = int(payment.get("fee") or 0)
        if charge.currency == "inr":
            distribute = remaining - fee - broker_fee_amount
        else:
            distribute = remaining - broker_fee_amount
        return Distribution(
            distribute_amount=distribute,
            distribute_unit=charge.currency,
            processor_fee_amount=fee,
            processor_fee_unit="inr",
            broker_fee_amount=broker_fee_amount,
            broker_fee_unit=charge.currency,
        )

    @hookimpl
    def dispute_fee(self, amount: int, currency: str) -> int:
        """Razorpay charges no fee for handling a chargeback."""
        return 0
