"""Refunds and disputes in the fake Razorpay.

Refunds follow Razorpay's rules (only captured payments, never more than is
left, at least one unit of the currency, receipts up to 40 characters).
Disputes are raised through the backdoor as Razorpay's disputes team would:
several on one payment (a chargeback, then a pre-arbitration after the
merchant won it), each with its ``phase``; ``amount_deducted`` is what
Razorpay took, set when a dispute is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from razorpay_fake_errors import RazorpayError, notes, only
from razorpay_fake_money import inr_value, min_amount


class RefundsAndDisputes:
    """Mixed into :class:`razorpay_fake_state.FakeRazorpayState`."""

    payments: dict[str, dict[str, Any]]
    refunds: dict[str, dict[str, Any]]
    disputes: dict[str, dict[str, Any]]

    def refund(self, payment_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        payment = self.get(self.payments, payment_id)
        only(data, {"amount", "speed", "notes", "receipt"})
        if not payment["captured"]:
            raise RazorpayError("The payment has not been captured, and cannot be refunded", field="payment_id")
        remaining = payment["amount"] - payment["amount_refunded"]
        if remaining <= 0:
            raise RazorpayError("The payment has been fully refunded already", field="payment_id")
        amount = remaining if data.get("amount") is None else data["amount"]
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise RazorpayError("The amount must be an integer.", field="amount")
        if amount < min_amount(payment["currency"]):
            raise RazorpayError(f"The refund amount must be atleast {payment['currency']} 1.00", field="amount")
        if amount > remaining:
            raise RazorpayError("The total refund amount is greater than the refund payment amount", field="amount")
        receipt = data.get("receipt")
        if receipt is not None and len(str(receipt)) > 40:
            raise RazorpayError("The receipt may not be greater than 40 characters.", field="receipt")
        refund = {
            "id": self.new_id("rfnd"),
            "entity": "refund",
            "amount": amount,
            "currency": payment["currency"],
            "payment_id": payment_id,
            "notes": notes(data.get("notes")),
            "receipt": receipt,
            "acquirer_data": {"arn": None},
            "created_at": self.now(),
            "batch_id": None,
            "status": "processed",
            "speed_processed": "normal",
            "speed_requested": data.get("speed", "normal"),
        }
        self.refunds[refund["id"]] = refund
        payment["amount_refunded"] += amount
        full = payment["amount_refunded"] == payment["amount"]
        payment["refund_status"] = "full" if full else "partial"
        if full:
            payment["status"] = "refunded"
        self.balance -= inr_value(amount, payment["currency"])
        self.emit("refund.created", refund=refund, payment=self.payment_view(payment))
        self.emit("refund.processed", refund=refund, payment=self.payment_view(payment))
        return refund

    def payment_refunds(self, payment_id: str, args: Mapping[str, str]) -> dict[str, Any]:
        self.get(self.payments, payment_id)
        return self.collection([r for r in self.refunds.values() if r["payment_id"] == payment_id], args)

    def payment_refund(self, payment_id: str, refund_id: str) -> dict[str, Any]:
        refund = self.get(self.refunds, refund_id)
        if refund["payment_id"] != payment_id:
            raise RazorpayError("The id provided does not exist", field="refund_id")
        return refund

    # --- disputes (raised by the backdoor) ------------------------------

    def open_dispute(self, payment_id: str, amount: int | None = None, phase: str = "chargeback") -> dict[str, Any]:
        payment = self.get(self.payments, payment_id)
        dispute = {
            "id": self.new_id("disp"),
            "entity": "dispute",
            "payment_id": payment_id,
            "amount": amount or payment["amount"],
            "currency": payment["currency"],
            "amount_deducted": 0,
            "gateway_dispute_id": self.new_id("gw"),
            "reason_code": "pre_arbitration" if phase == "pre_arbitration" else "chargeback",
            "respond_by": self.now() + 7 * 86400,
            "status": "open",
            "phase": phase,
            "comments": None,
            "created_at": self.now(),
            "evidence": {
                "amount": amount or payment["amount"], "summary": None, "shipping_proof": None,
                "billing_proof": None, "cancellation_proof": None, "customer_communication": None,
                "proof_of_service": None, "explanation_letter": None, "refund_confirmation": None,
                "access_activity_log": None, "refund_cancellation_policy": None, "term_and_conditions": None,
                "others": None, "submitted_at": None,
            },
        }
        self.disputes[dispute["id"]] = dispute
        self.emit("payment.dispute.created", payment=self.payment_view(payment), dispute=dispute)
        return dispute

    def close_dispute(self, dispute_id: str, status: str) -> dict[str, Any]:
        dispute = self.get(self.disputes, dispute_id)
        dispute["status"] = status
        if status == "lost":
            dispute["amount_deducted"] = dispute["amount"]
        payment = self.payments[dispute["payment_id"]]
        self.emit(f"payment.dispute.{status}", payment=self.payment_view(payment), dispute=dispute)
        return dispute
