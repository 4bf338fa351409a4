"""What Razorpay says about a charge: settling unknown outcomes, captures
after the fact, the customer's return, and abandoned orders.

Razorpay's answers and what they mean here:

* no payment on the charge's checkout order: the customer has not paid yet
  and still may (``AWAITING_CUSTOMER``); Razorpay lets a customer try again
  on the same order after a failed attempt, so failed attempts alone leave
  a checkout order awaiting too. A recurring order (no customer present)
  with no payment was never charged (``NOT_FOUND``), with only failed
  payments it failed;
* a payment ``created`` (UPI collect awaiting approval, a recurring debit
  Razorpay makes later) or ``authorized`` is ``PENDING``; an authorization of
  the charge's own order for its amount is captured on the spot, so it is
  never left for Razorpay to refund;
* Razorpay orders cannot be cancelled (the Orders API has no such call and
  orders do not expire): :func:`cancel` answers Razorpay's current view and
  never ``CANCELED``, so the core never expires a charge its customer may
  still pay.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from payproc.errors import IntegrityMismatch, OutcomeUnknown, ProcessorError
from payproc.types import ChargeInfo, ChargeRef, ChargeStatus, PaymentResult

from .amounts import shown
from .client import RazorpayClient
from .convert import charge_status, from_timestamp, receipt
from .orders import find_order, is_recurring, order_payments
from .payments import Payments

__all__ = ["Settle"]

_NOT_FOUND = ("does not exist", "not found", "invalid id")
PAGE = 100


def _is_not_found(error: ProcessorError) -> bool:
    return type(error) is ProcessorError and any(text in str(error).lower() for text in _NOT_FOUND)


def charge_info(payment: Mapping[str, Any], status: ChargeStatus | None = None) -> ChargeInfo:
    status = status or charge_status(payment)
    failed = status is ChargeStatus.FAILED
    notes = payment.get("notes") if isinstance(payment.get("notes"), Mapping) else {}
    return ChargeInfo(
        processor_key=str(payment["id"]),
        status=status,
        amount=int(payment.get("amount") or 0),
        currency=str(payment.get("currency") or "").lower(),
        amount_refunded=int(payment.get("amount_refunded") or 0),
        created_at=from_timestamp(payment.get("created_at")),
        receipt=receipt(payment),
        failure_code=(payment.get("error_reason") or payment.get("error_code")) if failed else None,
        failure_message=payment.get("error_description") if failed else None,
        idempotency_key=notes.get("payproc_idempotency_key"),
    )


class Settle:
    """Look-ups of one charge on one client."""

    def __init__(self, client: RazorpayClient) -> None:
        self.client = client
        self.payments = Payments(client)

    def order_of(self, charge: ChargeRef) -> Mapping[str, Any] | None:
        """The charge's order: the one the core stored (``reference``,
        ``GET /v1/orders/{id}``), else the newest with the receipt of its
        idempotency key (a charge recorded before the core kept references).

        Razorpay may hold two orders with one receipt (a race); only the
        stored order is ever accepted, and a stored order Razorpay does not
        know means no charge, not another order's payment."""
        client, provider = self.client, charge.provider.slug
        if not charge.reference:
            return find_order(client, charge.idempotency_key, provider)
        try:
            order = client.call(client.sdk.order.fetch, charge.reference, provider=provider)
        except ProcessorError as error:
            if _is_not_found(error):
                return None
            raise
        return order if order.get("id") == charge.reference else None

    def is_ours(self, payment: Mapping[str, Any], charge: ChargeRef, order: Mapping[str, Any] | None) -> bool:
        """A payment for exactly this charge, on the charge's order."""
        if payment.get("amount") != charge.amount or str(payment.get("currency", "")).lower() != charge.currency:
            return False
        if order is None and charge.reference:
            return payment.get("order_id") == charge.reference
        if order is None:
            order = find_order(self.client, charge.idempotency_key, charge.provider.slug)
        return order is not None and payment.get("order_id") == order.get("id")

    def current(self, charge: ChargeRef) -> tuple[Mapping[str, Any] | None, Mapping[str, Any] | None, ChargeInfo]:
        """(payment, order, info) as Razorpay has them now; a late
        authorization of this charge's order is captured first."""
        provider = charge.provider.slug
        order: Mapping[str, Any] | None = None
        if charge.processor_key:
            try:
                payment: Mapping[str, Any] | None = self.payments.fetch(charge.processor_key, provider)
            except ProcessorError as error:
                if _is_not_found(error):
                    return None, None, ChargeInfo(processor_key=charge.processor_key, status=ChargeStatus.NOT_FOUND)
                raise
        else:
            order = self.order_of(charge)
            if order is None:
                return None, None, ChargeInfo(processor_key=None, status=ChargeStatus.NOT_FOUND)
            attempts = order_payments(self.client, order["id"], provider)
            best = self.payments.best_of(attempts)
            unpaid = best is None or charge_status(best) is ChargeStatus.FAILED
            if unpaid and not is_recurring(order):
                last = charge_info(best) if best is not None else None
                return best, order, ChargeInfo(
                    processor_key=None, status=ChargeStatus.AWAITING_CUSTOMER,
                    failure_code=last.failure_code if last else None,
                    failure_message=last.failure_message if last else None,
                )
            if best is None:
                return None, order, ChargeInfo(processor_key=None, status=ChargeStatus.NOT_FOUND)
            payment = self.payments.fetch(best["id"], provider)
        assert payment is not None
        if payment.get("status") == "authorized" and self.is_ours(payment, charge, order):
            payment = self.payments.capture(payment, provider)
        return payment, order, charge_info(payment)

    def retrieve(self, charge: ChargeRef) -> ChargeInfo:
        return self.current(charge)[2]

    def cancel(self, charge: ChargeRef) -> ChargeInfo:
        """Razorpay has no way to cancel an order: the answer is its current
        view (a late payment is captured and ``SUCCEEDED``), never
        ``CANCELED``."""
        return self.retrieve(charge)

    def capture(self, charge: ChargeRef) -> PaymentResult:
        """Capture the charge's authorized payment (``payment.authorized``):
        only a payment of the charge's own order, for its amount."""
        payment, order, _info = self.current(charge)
        if payment is None:
            raise OutcomeUnknown(f"Razorpay shows no payment to capture for charge {charge.idempotency_key!r} yet")
        if not self.is_ours(payment, charge, order):
            raise IntegrityMismatch(
                f"Razorpay payment {payment.get('id')} ({shown(payment.get('amount'), payment.get('currency'))}, "
                f"order {payment.get('order_id')}) is not this charge's: not captured"
            )
        self.payments.check_not_failed(payment)
        return Payments.result(payment)

    def complete(self, charge: ChargeRef, params: Mapping[str, str]) -> PaymentResult:
        """The customer came back from Checkout. A handler answer signed for
        the charge's stored order is settled like ``create_payment``;
        anything else only tells us to look: the order's payments at Razorpay
        decide, never the parameters. With nothing paid on the order the
        answer is ``AWAITING_CUSTOMER`` (no processor key): the customer may
        still pay."""
        payment_id = str(params.get("razorpay_payment_id") or "")
        if charge.reference and payment_id.startswith("pay_"):
            try:
                self.payments.verify_checkout(charge.reference, payment_id, params.get("razorpay_signature"),
                                              params.get("razorpay_order_id"))
            except ProcessorError:
                pass  # forged or partial: Razorpay's own records decide below
            else:
                payment = self.payments.fetch(payment_id, charge.provider.slug)
                return self.payments.settle(payment, charge.reference, charge.amount, charge.currency,
                                            charge.provider.slug)
        payment, _order, info = self.current(charge)
        if payment is None or info.status in (ChargeStatus.AWAITING_CUSTOMER, ChargeStatus.NOT_FOUND):
            # Nothing paid on the order yet: the customer may still pay it.
            return PaymentResult(processor_key="", amount=charge.amount, currency=charge.currency,
                                 created_at=datetime.now(timezone.utc), status=ChargeStatus.AWAITING_CUSTOMER)
        self.payments.check_not_failed(payment)
        return Payments.result(payment)

    def list(self, since: datetime, until: datetime) -> Sequence[ChargeInfo]:
        """Razorpay's payments created in ``[since, until)`` (``GET
        /v1/payments`` pages of 100), with the idempotency key payproc put in
        their notes (recurring payments; a checkout payment's key is its
        order's receipt, which this list does not read)."""
        client, found, skip = self.client, [], 0
        start, end = int(since.timestamp()), int(until.timestamp())
        while True:
            page = client.call(client.sdk.payment.all, {"from": start, "to": end, "count": PAGE, "skip": skip})
            items = page.get("items", [])
            found.extend(charge_info(item) for item in items if start <= int(item.get("created_at") or 0) < end)
            if len(items) < PAGE:
                return found
            skip += len(items)
