"""The state and rules of the fake Razorpay: orders, payments, refunds,
customers, tokens, Route transfers and disputes.

It follows Razorpay's API reference: entity shapes (those of the SDK's own
test fixtures in ``shared/data/razorpay-sdk-mocks``), error bodies
(``{"error": {"code", "description", "source", "step", "reason",
"metadata", "field"}}``) and refusals (unknown fields, amounts under ₹1,
3-decimal amounts not ending in 0, receipts over 40 characters, capture of
another amount, refunds above what is left…). Every change raises the
webhook Razorpay would send, signed with the webhook secret.

Known simplifications: ``contact`` is optional for recurring payments;
the balance is one INR number.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import string
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from razorpay_fake_money import (
    CURRENCIES,
    MIN_AMOUNT,
    inr_value,
    payment_fee,
    transfer_fee,
)

MERCHANT_ACCOUNT = "acc_Merchant000001"
_ALPHABET = string.ascii_letters + string.digits


class RazorpayError(Exception):
    """An error answer, in Razorpay's shape."""

    def __init__(
        self,
        description: str,
        *,
        status: int = 400,
        code: str = "BAD_REQUEST_ERROR",
        field: str | None = None,
        source: str = "business",
        step: str = "payment_initiation",
        reason: str = "input_validation_failed",
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.detail = {
            "code": code,
            "description": description,
            "source": source,
            "step": step,
            "reason": reason,
            "metadata": dict(metadata or {}),
            "field": field,
        }

    def body(self) -> dict[str, Any]:
        return {"error": self.detail}


def not_found(what: str = "id") -> RazorpayError:
    return RazorpayError("The id provided does not exist", field=what, source="NA", step="NA", reason="NA")


def sign(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass
class Delivery:
    """A webhook the fake sent: the raw body and its headers."""

    event: str
    body: bytes
    headers: dict[str, str]


@dataclass
class Fault:
    """Break the next matching request: ``mode`` is ``timeout`` (apply, then
    answer too late), ``server_error`` (apply, then 500) or ``gateway_error``
    (502 before applying)."""

    method: str
    path: str
    mode: str
    delay: float = 0.0
    times: int = 1


def _public(entity: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entity.items() if not k.startswith("_")}


def _notes(value: Any) -> Any:
    if value in (None, {}, []):
        return []
    if not isinstance(value, Mapping):
        raise RazorpayError("The notes field must be an object", field="notes")
    if len(value) > 15:
        raise RazorpayError("Number of fields in notes should be less than or equal to 15", field="notes")
    return {str(k): str(v)[:256] for k, v in value.items()}


def _only(data: Mapping[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        raise RazorpayError(f"{', '.join(extra)} is/are not required and should not be sent", field=extra[0])


def _amount(data: Mapping[str, Any], currency: str, name: str = "amount") -> int:
    value = data.get(name)
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RazorpayError(f"The {name} must be an integer.", field=name)
    if value < MIN_AMOUNT.get(currency, 1):
        raise RazorpayError("Order amount less than minimum amount allowed", field=name)
    if CURRENCIES[currency][0] == 3 and value % 10:
        raise RazorpayError(
            f"The amount for {currency} must have 0 as its last digit (3-decimal currency)", field=name
        )
    return value


def _currency(data: Mapping[str, Any]) -> str:
    currency = data.get("currency")
    if not isinstance(currency, str) or currency.upper() not in CURRENCIES:
        raise RazorpayError(f"Currency {currency} is not supported", field="currency")
    if currency != currency.upper():
        raise RazorpayError("The currency must be an uppercase ISO code", field="currency")
    return currency


@dataclass
class FakeRazorpayState:
    key_id: str
    key_secret: str
    webhook_secret: str
    accounts: set[str] = field(default_factory=lambda: {"acc_Provider000001"})
    balance: int = 0
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    transfers: dict[str, dict[str, Any]] = field(default_factory=dict)
    disputes: dict[str, dict[str, Any]] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    requests: list[tuple[str, str]] = field(default_factory=list)

    # --- helpers ---------------------------------------------------------

    @staticmethod
    def new_id(prefix: str) -> str:
        return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(14))

    @staticmethod
    def now() -> int:
        return int(time.time())

    def emit(self, name: str, **entities: Mapping[str, Any]) -> Delivery:
        delivery = build_webhook(name, entities, self.webhook_secret, self.now())
        self.deliveries.append(delivery)
        return delivery

    def take_fault(self, method: str, path: str) -> Fault | None:
        import re

        for fault in self.faults:
            if fault.method == method and re.fullmatch(fault.path, path):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    @staticmethod
    def collection(items: list[dict[str, Any]], args: Mapping[str, str]) -> dict[str, Any]:
        """Newest first, with Razorpay's ``from``/``to`` (seconds), ``count``
        (default 10, at most 100) and ``skip``."""
        selected = list(reversed(items))
        if "from" in args:
            selected = [i for i in selected if i["created_at"] >= int(args["from"])]
        if "to" in args:
            selected = [i for i in selected if i["created_at"] <= int(args["to"])]
        count = int(args.get("count", 10))
        if not 1 <= count <= 100:
            raise RazorpayError("The count must be between 1 and 100.", field="count")
        skip = int(args.get("skip", 0))
        page = [_public(i) for i in selected[skip : skip + count]]
        return {"entity": "collection", "count": len(page), "items": page}

    def get(self, table: dict[str, dict[str, Any]], entity_id: str) -> dict[str, Any]:
        if entity_id not in table:
            raise not_found()
        return table[entity_id]

    # --- orders ----------------------------------------------------------

    def create_order(self, data: Mapping[str, Any]) -> dict[str, Any]:
        _only(data, {"amount", "currency", "receipt", "notes", "payment_capture", "partial_payment",
                     "first_payment_min_amount", "customer_id", "method", "token", "transfers", "offer_id"})
        currency = _currency(data)
        amount = _amount(data, currency)
        receipt = data.get("receipt")
        if receipt is not None and (not isinstance(receipt, str) or len(receipt) > 40):
            raise RazorpayError("The receipt may not be greater than 40 characters.", field="receipt")
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
            "notes": _notes(data.get("notes")),
            "created_at": self.now(),
            "_payment_capture": bool(int(data.get("payment_capture") or 0)),
            "_customer_id": customer_id,
            "_token": data.get("token"),
        }
        self.orders[order["id"]] = order
        return order

    def list_orders(self, args: Mapping[str, str]) -> dict[str, Any]:
        items = list(self.orders.values())
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
        notes: Any = None,
    ) -> dict[str, Any]:
        """A payment on ``order``, as Checkout or a recurring charge makes it."""
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
        payment: dict[str, Any] = {
            "id": self.new_id("pay"),
            "entity": "payment",
            "amount": order["amount"],
            "currency": order["currency"],
            "status": "authorized",
            "order_id": order["id"],
            "invoice_id": None,
            "international": order["currency"] != "INR",
            "method": "card",
            "amount_refunded": 0,
            "refund_status": None,
            "captured": False,
            "description": description,
            "card_id": card_entity["id"],
            "bank": None,
            "wallet": None,
            "vpa": None,
            "email": email,
            "contact": contact,
            "customer_id": customer_id,
            "token_id": None,
            "notes": _notes(notes),
            "fee": None,
            "tax": None,
            "error_code": None,
            "error_description": None,
            "error_source": None,
            "error_step": None,
            "error_reason": None,
            "acquirer_data": {"auth_code": None},
            "created_at": self.now(),
            "_card": card_entity,
        }
        order["attempts"] += 1
        order["status"] = "attempted"
        self.payments[payment["id"]] = payment
        if outcome == "decline":
            payment.update(
                status="failed",
                error_code="BAD_REQUEST_ERROR",
                error_description="Your payment has been declined by the bank. Try another card.",
                error_source="bank",
                error_step="payment_authorization",
                error_reason="payment_declined",
            )
            self.emit("payment.failed", payment=self.payment_view(payment))
            return payment
        payment["acquirer_data"] = {"auth_code": "".join(secrets.choice(string.digits) for _ in range(6))}
        if token is None and customer_id and (save or order.get("_token")):
            token = self.new_token(customer_id, card_entity, recurring=bool(order.get("_token")))
        if token is not None:
            payment["token_id"] = token["id"]
            token["used_at"] = self.now()
        self.emit("payment.authorized", payment=self.payment_view(payment))
        if order["_payment_capture"]:
            self.apply_capture(payment)
        if outcome == "unknown":
            self.faults.append(Fault("POST", f"/v1/payments/{payment['id']}/capture", "timeout", delay=1.5))
        return payment

    def payment_view(self, payment: Mapping[str, Any], expand_card: bool = False) -> dict[str, Any]:
        view = _public(payment)
        if expand_card:
            view["card"] = _public(payment["_card"])
        return view

    def apply_capture(self, payment: dict[str, Any]) -> None:
        fee, tax = payment_fee(payment["amount"], payment["currency"])
        payment.update(status="captured", captured=True, fee=fee, tax=tax)
        order = self.orders[payment["order_id"]]
        order.update(status="paid", amount_paid=order["amount"], amount_due=0)
        self.balance += inr_value(payment["amount"], payment["currency"]) - fee
        self.emit("payment.captured", payment=self.payment_view(payment))
        self.emit("order.paid", payment=self.payment_view(payment), order=_public(order))

    def capture(self, payment_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        payment = self.get(self.payments, payment_id)
        _only(data, {"amount", "currency"})
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

    def recurring(self, data: Mapping[str, Any]) -> dict[str, Any]:
        _only(data, {"email", "contact", "amount", "currency", "order_id", "customer_id", "token",
                     "recurring", "notes", "description"})
        order = self.orders.get(str(data.get("order_id")))
        if order is None:
            raise RazorpayError("The order_id provided does not exist", field="order_id")
        customer = self.customers.get(str(data.get("customer_id")))
        if customer is None:
            raise RazorpayError("The customer_id provided does not exist", field="customer_id")
        token = self.tokens.get(str(data.get("token")))
        if token is None or token["_customer_id"] != customer["id"] or token["_deleted"]:
            raise RazorpayError("The token provided does not exist or is not for this customer", field="token")
        if str(data.get("recurring")) != "1":
            raise RazorpayError("The recurring field must be 1.", field="recurring")
        if not data.get("email"):
            raise RazorpayError("The email field is required.", field="email")
        currency = _currency(data)
        amount = _amount(data, currency)
        if amount != order["amount"] or currency != order["currency"]:
            raise RazorpayError("The amount and currency must match the order's", field="amount")
        payment = self.new_payment(
            order,
            outcome="decline" if token["_decline"] else "success",
            card={**token["_card_input"]},
            customer_id=customer["id"],
            token=token,
            email=str(data["email"]),
            contact=str(data.get("contact") or ""),
            description=data.get("description"),
            notes=data.get("notes"),
        )
        if payment["status"] == "failed":
            raise RazorpayError(
                payment["error_description"],
                source="bank",
                step="payment_authorization",
                reason="payment_declined",
                metadata={"payment_id": payment["id"], "order_id": order["id"]},
            )
        message = f"{order['id']}|{payment['id']}".encode()
        return {
            "razorpay_payment_id": payment["id"],
            "razorpay_order_id": order["id"],
            "razorpay_signature": sign(self.key_secret, message),
        }

    # --- refunds ---------------------------------------------------------

    def refund(self, payment_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        payment = self.get(self.payments, payment_id)
        _only(data, {"amount", "speed", "notes", "receipt"})
        if not payment["captured"]:
            raise RazorpayError("The payment has not been captured, and cannot be refunded", field="payment_id")
        remaining = payment["amount"] - payment["amount_refunded"]
        if remaining <= 0:
            raise RazorpayError("The payment has been fully refunded already", field="payment_id")
        amount = remaining if data.get("amount") is None else data["amount"]
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise RazorpayError("The amount must be an integer.", field="amount")
        if amount < MIN_AMOUNT.get(payment["currency"], 1):
            raise RazorpayError("The refund amount must be atleast INR 1.00", field="amount")
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
            "notes": _notes(data.get("notes")),
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

    # --- customers and tokens -------------------------------------------

    def create_customer(self, data: Mapping[str, Any]) -> dict[str, Any]:
        _only(data, {"name", "email", "contact", "fail_existing", "gstin", "notes"})
        name = data.get("name")
        if name is not None and len(str(name)) > 50:
            raise RazorpayError("The name may not be greater than 50 characters.", field="name")
        email, contact = data.get("email"), data.get("contact")
        for customer in self.customers.values():
            if email and customer["email"] == email and customer["contact"] == contact:
                if str(data.get("fail_existing", "1")) == "0":
                    return customer
                raise RazorpayError("Customer already exists for the merchant", field="email")
        customer = {
            "id": self.new_id("cust"),
            "entity": "customer",
            "name": name,
            "email": email,
            "contact": contact,
            "gstin": data.get("gstin"),
            "notes": _notes(data.get("notes")),
            "created_at": self.now(),
        }
        self.customers[customer["id"]] = customer
        return customer

    def new_token(self, customer_id: str, card: Mapping[str, Any], *, recurring: bool, decline: bool = False) -> dict[str, Any]:
        expiry = (int(card.get("_expiry_year", 2030)), int(card.get("_expiry_month", 12)))
        token = {
            "id": self.new_id("token"),
            "entity": "token",
            "token": "".join(secrets.choice(_ALPHABET) for _ in range(14)),
            "bank": None,
            "wallet": None,
            "method": "card",
            "card": {
                "entity": "card",
                "name": card.get("name"),
                "last4": card.get("last4"),
                "network": card.get("network"),
                "type": card.get("type", "credit"),
                "issuer": card.get("issuer"),
                "international": False,
                "emi": False,
                "sub_type": "consumer",
                "expiry_month": expiry[1],
                "expiry_year": expiry[0],
                "flows": {"recurring": True},
            },
            "recurring": recurring,
            "recurring_details": {"status": "confirmed" if recurring else "not_applicable", "failure_reason": None},
            "auth_type": None,
            "mrn": None,
            "used_at": self.now(),
            "created_at": self.now(),
            "expired_at": int(time.mktime((expiry[0] + (expiry[1] == 12), expiry[1] % 12 + 1, 1, 0, 0, 0, 0, 0, -1))),
            "status": "active",
            "notes": [],
            "compliant_with_tokenisation_guidelines": True,
            "_customer_id": customer_id,
            "_deleted": False,
            "_decline": decline,
            "_card_input": {
                "name": card.get("name"), "last4": card.get("last4"), "network": card.get("network"),
                "expiry_month": expiry[1], "expiry_year": expiry[0],
            },
        }
        self.tokens[token["id"]] = token
        return token

    def customer_tokens(self, customer_id: str) -> dict[str, Any]:
        self.get(self.customers, customer_id)
        items = [t for t in self.tokens.values() if t["_customer_id"] == customer_id and not t["_deleted"]]
        return self.collection(items, {"count": "100"})

    def customer_token(self, customer_id: str, token_id: str) -> dict[str, Any]:
        self.get(self.customers, customer_id)
        token = self.tokens.get(token_id)
        if token is None or token["_customer_id"] != customer_id or token["_deleted"]:
            raise not_found("token_id")
        return token

    # --- Route transfers -------------------------------------------------

    def create_transfer(self, data: Mapping[str, Any]) -> dict[str, Any]:
        _only(data, {"account", "amount", "currency", "notes", "linked_account_notes", "on_hold", "on_hold_until"})
        if data.get("account") not in self.accounts:
            raise RazorpayError("The account provided is not a linked account", field="account")
        if data.get("currency") != "INR":
            raise RazorpayError("Currency other than INR is not supported for transfers", field="currency")
        amount = _amount(data, "INR")
        fee, tax = transfer_fee(amount)
        if self.balance < amount + fee:
            raise RazorpayError("Merchant doesn't have sufficient balance for the transfer", field="amount")
        self.balance -= amount + fee
        now = self.now()
        transfer = {
            "id": self.new_id("trf"),
            "entity": "transfer",
            "status": "processed",
            "source": MERCHANT_ACCOUNT,
            "recipient": data["account"],
            "amount": amount,
            "currency": "INR",
            "amount_reversed": 0,
            "fees": fee,
            "tax": tax,
            "notes": _notes(data.get("notes")),
            "linked_account_notes": [],
            "on_hold": bool(data.get("on_hold", False)),
            "on_hold_until": data.get("on_hold_until"),
            "settlement_status": None,
            "recipient_settlement_id": None,
            "created_at": now,
            "processed_at": now,
            "error": {"code": None, "description": None, "reason": None, "field": None,
                      "step": None, "id": None, "source": None, "metadata": None},
        }
        self.transfers[transfer["id"]] = transfer
        self.emit("transfer.processed", transfer=transfer)
        return transfer

    # --- disputes (raised by the backdoor) ------------------------------

    def open_dispute(self, payment_id: str, amount: int | None = None) -> dict[str, Any]:
        payment = self.get(self.payments, payment_id)
        dispute = {
            "id": self.new_id("disp"),
            "entity": "dispute",
            "payment_id": payment_id,
            "amount": amount or payment["amount"],
            "currency": payment["currency"],
            "amount_deducted": 0,
            "reason_code": "chargeback",
            "respond_by": self.now() + 7 * 86400,
            "status": "open",
            "phase": "chargeback",
            "created_at": self.now(),
        }
        self.disputes[dispute["id"]] = dispute
        self.emit("payment.dispute.created", payment=self.payment_view(payment), dispute=dispute)
        return dispute

    def close_dispute(self, dispute_id: str, status: str) -> dict[str, Any]:
        dispute = self.get(self.disputes, dispute_id)
        dispute["status"] = status
        payment = self.payments[dispute["payment_id"]]
        self.emit(f"payment.dispute.{status}", payment=self.payment_view(payment), dispute=dispute)
        return dispute


def build_webhook(name: str, entities: Mapping[str, Mapping[str, Any]], secret: str, created_at: int,
                  event_id: str | None = None) -> Delivery:
    """A Razorpay webhook delivery: body, signature and event id headers."""
    event = {
        "entity": "event",
        "account_id": MERCHANT_ACCOUNT,
        "event": name,
        "contains": list(entities),
        "payload": {kind: {"entity": _public(entity)} for kind, entity in entities.items()},
        "created_at": created_at,
    }
    body = json.dumps(event, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Razorpay-Signature": sign(secret, body),
        "X-Razorpay-Event-Id": event_id or "".join(secrets.choice(_ALPHABET) for _ in range(14)),
    }
    return Delivery(name, body, headers)
