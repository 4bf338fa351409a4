"""Orders and payments of the fake Razorpay: Checkout payments, captures,
recurring payments and their delayed debit, UPI payments awaiting approval.

Razorpay's rules the fake keeps: a payment belongs to an order and has its
amount; ``paid`` orders take no more payments; only an ``authorized``
payment is captured, for exactly its amount and currency; an order with
``payment_capture`` is captured by Razorpay the moment it is authorized.

Recurring payments (``POST /v1/payments/create/recurring``) follow
Razorpay's documented request (``email``, ``contact``, ``amount``,
``currency``, ``order_id``, ``customer_id``, ``token``, ``recurring``; the
SDK's ``init_create_recurring.json``): ``contact`` and ``email`` are
required and the token must be a recurring one whose mandate is
``confirmed``. The debit is asynchronous, as Razorpay's is (it notifies the
customer and debits about 36 hours later): the payment is ``created`` and
stays so until the test moves the clock on (``debit_due``).
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from typing import Any

from razorpay_fake_errors import RazorpayError, amount_of, currency_of, notes, only, public, required
from razorpay_fake_money import inr_value, payment_fee
from razorpay_fake_webhooks import sign


class OrdersAndPayments:
    """Mixed into :class:`razorpay_fake_state.FakeRazorpayState`."""

    orders: dict[str, dict[str, Any]]
    payments: dict[str, dict[str, Any]]
    customers: dict[str, dict[str, Any]]
    tokens: dict[str, dict[str, Any]]

    # --- orders ----------------------------------------------------------

    def create_order(self, data: Mapping[str, Any]) -> dict[str, Any]:
        only(data, {"amount", "currency", "receipt", "notes", "payment_capture", "partial_payment",
                    "first_payment_min_amount", "customer_id", "method", "token", "transfers", "offer_id"})
        currency = currency_of(data)
        amount = amount_of(data, currency)
        receipt = data.get("receipt")
        if receipt is not None and (not isinstance(receipt, str) or len(receipt) > 40):
            raise RazorpayError("The receipt may not be greater than 40 characters.", field="receipt")
        if receipt is not None and any(o["receipt"] == receipt for o in self.orders.values()):
            raise RazorpayError("Order receipt should be unique.", field="receipt")
        customer_id = data.get("customer_id")
        if customer_id is not None and customer_id not in self.customers:
            raise RazorpayError("The customer_id provided does not exist", field="customer_id")
        if data.get("token") is not None and customer_id is None:
            raise RazorpayError("The customer_id field is required when token is present.", field="customer_id")
        order = {
            "id": self.new_id("order"),
            "entity": "order",
            "amount": amount,
            "amount_paid": 0,
            "amount_due": amount,
            "currency": currency,
            "receipt": receipt,
            "offer_id": None,
            "status": "created",
            "attempts": 0,
            "notes": notes(data.get("notes")),
            "created_at": self.now(),
            "_payment_capture": bool(int(data.get("payment_capture") or 0)),
            "_customer_id": customer_id,
            "_token": data.get("token"),
        }
        self.orders[order["id"]] = order
        return order

    def list_orders(self, args: Mapping[str, str]) -> dict[str, Any]:
        items = [o for o in self.orders.values() if not o.get("_orderless")]
        if "receipt" in args:
            items = [o for o in items if o["receipt"] == args["receipt"]]
        return self.collection(items, args)

    def order_payments(self, order_id: str) -> dict[str, Any]:
        self.get(self.orders, order_id)
        items = [p for p in self.payments.values() if p["order_id"] == order_id]
        return self.collection(items, {"count": "100"})

    # --- payments --------------------------------------------------------

    def new_payment(
        self,
        order: dict[str, Any],
        *,
        outcome: str,
        card: Mapping[str, Any],
        customer_id: str | None,
        token: dict[str, Any] | None = None,
        save: bool = False,
        email: str = "payer@example.com",
        contact: str = "+919900000000",
        description: str | None = None,
        notes_in: Any = None,
        method: str = "card",
    ) -> dict[str, Any]:
        """A payment on ``order``, as Checkout or a recurring charge makes
        it. ``outcome``: ``success`` (authorized now), ``decline``,
        ``unknown`` (its capture answer is lost), ``pending`` (``created``
        until :meth:`authorize` or :meth:`fail_payment`: a UPI collect
        request, a recurring debit)."""
        if order["status"] == "paid":
            raise RazorpayError("Order has already been paid", field="order_id")
        card_entity = {
            "id": self.new_id("card"),
            "entity": "card",
            "name": card.get("name", "Gaurav Kumar"),
            "last4": str(card.get("last4", "1111")),
            "network": card.get("network", "Visa"),
            "type": card.get("type", "credit"),
            "issuer": card.get("issuer", "HDFC"),
            "international": order["currency"] != "INR",
            "emi": False,
            "sub_type": "consumer",
            "_expiry_month": int(card.get("expiry_month", 12)),
            "_expiry_year": int(card.get("expiry_year", 2030)),
        }
        is_card = method == "card"
        payment: dict[str, Any] = {
            "id": self.new_id("pay"),
            "entity": "payment",
            "amount": order["amount"],
            "currency": order["currency"],
            "status": "created",
            "order_id": order["id"],
            "invoice_id": None,
            "international": order["currency"] != "INR",
            "method": method,
            "amount_refunded": 0,
            "refund_status": None,
            "captured": False,
            "description": description,
            "card_id": card_entity["id"] if is_card else None,
            "bank": None,
            "wallet": None,
            "vpa": None if is_card else "gaurav.kumar@exampleupi",
            "email": email,
            "contact": contact,
            "customer_id": customer_id,
            "token_id": token["id"] if token is not None else None,
            "notes": notes(notes_in),
            "fee": None,
            "tax": None,
            "error_code": None,
            "error_description": None,
            "error_source": None,
            "error_step": None,
            "error_reason": None,
            "acquirer_data": {"auth_code": None} if is_card else {"rrn": None},
            "created_at": self.now(),
            "_card": card_entity if is_card else None,
            "_order_id": order["id"],  # kept when Checkout made it without an order (order_id null)
            "_save": save,
            "_token": token,
        }
        order["attempts"] += 1
        order["status"] = "attempted"
        self.payments[payment["id"]] = payment
        if outcome == "decline":
            self.fail_payment(payment)
        elif outcome != "pending":
            self.authorize(payment)
            if outcome == "unknown":
                self.faults.append(self.fault("POST", f"/v1/payments/{payment['id']}/capture", "timeout", 1.5))
        return payment

    def fail_payment(self, payment: dict[str, Any]) -> None:
        payment.update(
            status="failed",
            error_code="BAD_REQUEST_ERROR",
            error_description="Your payment has been declined by the bank. Try another card.",
            error_source="bank",
            error_step="payment_authorization",
            error_reason="payment_declined",
        )
        self.emit("payment.failed", payment=self.payment_view(payment))

    def authorize(self, payment: dict[str, Any]) -> None:
        """The bank said yes: ``authorized`` (a token is saved when the
        payment asked for it), then captured at once on an auto-capture order."""
        if payment["status"] != "created":
            raise RazorpayError("Only created payments can be authorized", field="payment_id")
        order = self.orders[payment["_order_id"]]
        payment["status"] = "authorized"
        if payment["method"] == "card":
            payment["acquirer_data"] = {"auth_code": "".join(secrets.choice(string.digits) for _ in range(6))}
        else:
            payment["acquirer_data"] = {"rrn": "".join(secrets.choice(string.digits) for _ in range(12))}
        token, customer_id = payment["_token"], payment["customer_id"]
        if token is None and customer_id and payment["_card"] and (payment["_save"] or order.get("_token")):
            token = self.new_token(customer_id, payment["_card"], recurring=bool(order.get("_token")))
        if token is not None:
            payment["token_id"] = token["id"]
            token["used_at"] = self.now()
        self.emit("payment.authorized", payment=self.payment_view(payment))
        if order["_payment_capture"]:
            self.apply_capture(payment)

    def payment_view(self, payment: Mapping[str, Any], expand_card: bool = False) -> dict[str, Any]:
        view = public(payment)
        if expand_card and payment["_card"] is not None:
            view["card"] = public(payment["_card"])
        return view

    def apply_capture(self, payment: dict[str, Any]) -> None:
        fee, tax = payment_fee(payment["amount"], payment["currency"])
        payment.update(status="captured", captured=True, fee=fee, tax=tax)
        order = self.orders[payment["_order_id"]]
        order.update(status="paid", amount_paid=order["amount"], amount_due=0)
        self.balance += inr_value(payment["amount"], payment["currency"]) - fee
        self.emit("payment.captured", payment=self.payment_view(payment))
        self.emit("order.paid", payment=self.payment_view(payment), order=public(order))

    def capture(self, payment_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        payment = self.get(self.payments, payment_id)
        only(data, {"amount", "currency"})
        if payment["captured"]:
            raise RazorpayError("This payment has already been captured", field="payment_id")
        if payment["status"] != "authorized":
            raise RazorpayError(
                "Only payments which have been authorized and not yet captured can be captured",
                field="payment_id",
            )
        amount = data.get("amount")
        if isinstance(amount, str) and amount.isdigit():
            amount = int(amount)
        if amount != payment["amount"]:
            raise RazorpayError("Capture amount must be equal to the amount authorized", field="amount")
        if "currency" in data and data["currency"] != payment["currency"]:
            raise RazorpayError("The currency should be the same as the payment currency", field="currency")
        self.apply_capture(payment)
        return payment

    # --- recurring payments ---------------------------------------------

    def recurring(self, data: Mapping[str, Any]) -> dict[str, Any]:
        only(data, {"email", "contact", "amount", "currency", "order_id", "customer_id", "token",
                    "recurring", "notes", "description"})
        required(data, "email", "contact", "amount", "currency", "order_id", "customer_id", "token", "recurring")
        order = self.orders.get(str(data.get("order_id")))
        if order is None:
            raise RazorpayError("The order_id provided does not exist", field="order_id")
        customer = self.customers.get(str(data.get("customer_id")))
        if customer is None:
            raise RazorpayError("The customer_id provided does not exist", field="customer_id")
        token = self.tokens.get(str(data.get("token")))
        if token is None or token["_customer_id"] != customer["id"] or token["_deleted"]:
            raise RazorpayError("The token provided does not exist or is not for this customer", field="token")
        if not token["recurring"] or token["recurring_details"]["status"] != "confirmed":
            raise RazorpayError("The token is not confirmed for recurring payments", field="token")
        if str(data.get("recurring")) != "1":
            raise RazorpayError("The recurring field must be 1.", field="recurring")
        currency = currency_of(data)
        amount = amount_of(data, currency)
        if amount != order["amount"] or currency != order["currency"]:
            raise RazorpayError("The amount and currency must match the order's", field="amount")
        payment = self.new_payment(
            order, outcome="pending", card={**token["_card_input"]}, customer_id=customer["id"], token=token,
            email=str(data["email"]), contact=str(data["contact"]), description=data.get("description"),
            notes_in=data.get("notes"),
        )
        payment["_debit_due"] = True
        message = f"{order['id']}|{payment['id']}".encode()
        return {
            "razorpay_payment_id": payment["id"],
            "razorpay_order_id": order["id"],
            "razorpay_signature": sign(self.key_secret, message),
            "org_logo": "",
            "org_name": "Razorpay Software Private Ltd",
            "checkout_logo": "https://cdn.razorpay.com/logo.png",
            "custom_branding": False,
        }

    def debit_due(self) -> list[str]:
        """The clock moves past the debit time of every recurring payment:
        Razorpay authorizes it (and the auto-capture order captures it) or
        the bank refuses it."""
        done = []
        for payment in list(self.payments.values()):
            if payment.pop("_debit_due", False) and payment["status"] == "created":
                if payment["_token"] is not None and payment["_token"]["_decline"]:
                    self.fail_payment(payment)
                else:
                    self.authorize(payment)
                done.append(payment["id"])
        return done
