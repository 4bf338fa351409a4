"""Customers and their saved tokens in the fake Razorpay.

A token saved by a card-update checkout (an order with a ``token`` block) is
a recurring one whose mandate is ``confirmed`` (the fake confirms at once;
tests set ``initiated``/``rejected`` through the backdoor); a card saved by
an ordinary checkout with ``save`` is not recurring. Token shapes follow
Razorpay's token entity (``recurring``, ``recurring_details.status``).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any

from razorpay_fake_errors import RazorpayError, not_found, notes, only
from razorpay_fake_webhooks import ALPHABET


class CustomersAndTokens:
    """Mixed into :class:`razorpay_fake_state.FakeRazorpayState`."""

    customers: dict[str, dict[str, Any]]
    tokens: dict[str, dict[str, Any]]

    def create_customer(self, data: Mapping[str, Any]) -> dict[str, Any]:
        only(data, {"name", "email", "contact", "fail_existing", "gstin", "notes"})
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
            "notes": notes(data.get("notes")),
            "created_at": self.now(),
        }
        self.customers[customer["id"]] = customer
        return customer

    def edit_customer(self, customer_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        only(data, {"name", "email", "contact", "gstin", "notes"})
        customer = self.get(self.customers, customer_id)
        for key in ("name", "email", "contact", "gstin"):
            if key in data:
                customer[key] = data[key]
        return customer

    def new_token(self, customer_id: str, card: Mapping[str, Any], *, recurring: bool, decline: bool = False,
                  method: str = "card") -> dict[str, Any]:
        expiry = (int(card.get("_expiry_year", 2030)), int(card.get("_expiry_month", 12)))
        now = self.now()
        token = {
            "id": self.new_id("token"),
            "entity": "token",
            "token": "".join(secrets.choice(ALPHABET) for _ in range(14)),
            "bank": None if method == "card" else "HDFC",
            "wallet": None,
            "method": method,
            "card": None if method != "card" else {
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
            "used_at": now,
            "created_at": now,
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

    def delete_token(self, customer_id: str, token_id: str) -> dict[str, Any]:
        self.customer_token(customer_id, token_id)["_deleted"] = True
        return {"deleted": True}
