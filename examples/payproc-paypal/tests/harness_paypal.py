"""The conformance suite's harness for the PayPal backend
(:class:`payproc.testing.harness.BackendHarness`).

It plays the buyer on PayPal's approval page (approving the order on the
fake server, with a funding source that pays or is declined), PayPal's
webhook sender (deliveries the fake's verification call accepts, or
forgeries it refuses), and reads the fake server's orders directly (the
suite's backdoor). An order is the processor's "charge": its id is the
charge's processor key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fake_paypal import FakePayPal
from payproc.types import EventType, PaymentContext

__all__ = ["CLIENT_ID", "SECRET", "WEBHOOK_ID", "PayPalHarness"]

CLIENT_ID = "AfakeClientId0123456789"
SECRET = "EfakeClientSecret0123456789"
WEBHOOK_ID = "8PT597110X687430LKGECATA"
_STATUSES = {"COMPLETED": "succeeded"}


def _cents(value: str) -> int:
    units, _, fraction = value.partition(".")
    return int(units) * 100 + int((fraction + "00")[:2])


class PayPalHarness:
    backend = "paypal"
    #: Exactly the hooks the backend implements (the suite checks it).
    capabilities = frozenset({
        "settings_model", "configure", "browser_integration", "get_payment_context", "create_payment",
        "complete_payment", "retrieve_charge", "refund_charge", "parse_webhook",
    })
    currency = "usd"
    limitations: Mapping[str, str] = {
        "dispute_webhook": "this example maps no PayPal dispute events (CUSTOMER.DISPUTE.*) yet",
        "stale_webhook": "PayPal's verification call judges the signature, not the delivery's age",
        "paid_before_return": "PayPal takes the money only when the merchant captures the approved order, "
                              "which the buyer's return does: no success webhook can come first",
        "card_receipt": "a PayPal payment shows the payer's PayPal account, not a card",
    }

    def __init__(self, server: FakePayPal) -> None:
        self.server = server

    def processor_settings(self) -> Mapping[str, Any]:
        return {"BACKEND": self.backend, "API_BASE": self.server.url, "CLIENT_ID": CLIENT_ID,
                "PRIV_KEY": SECRET, "WEBHOOK_ID": WEBHOOK_ID, "TIMEOUT": 5}

    def _order(self, context: PaymentContext) -> str:
        order_id = context.reference
        assert order_id and context.values.get("order_id") == order_id, "the context names no PayPal order"
        return order_id

    def pay(self, context: PaymentContext, amount: int, currency: str, *, outcome: str = "success"
            ) -> tuple[str, Mapping[str, str]]:
        order_id = self._order(context)
        if outcome == "challenge":  # the buyer has not approved yet: the checkout must send them to PayPal
            return order_id, {}
        if outcome not in ("success", "decline", "unknown"):
            raise ValueError(f"unknown outcome {outcome!r}")
        query = self.server.approve(order_id, funding="declined" if outcome == "decline" else "ok",
                                    lose_capture_answer=outcome == "unknown")
        return query["token"], {}

    def challenge(self, charge_processor_key: str, next_action: Mapping[str, Any], *, outcome: str = "success"
                  ) -> Mapping[str, str]:
        """The buyer on PayPal's page (the next action's link): approves
        with a funding source that pays, or one that is declined."""
        assert next_action.get("kind") == "redirect" and charge_processor_key in str(next_action.get("url"))
        return self.server.approve(charge_processor_key, funding="ok" if outcome == "success" else "declined")

    def card_token(self, *, outcome: str = "success") -> str:
        raise NotImplementedError("the PayPal backend stores no card on file")

    def webhook(self, type: EventType, charge_processor_key: str, *, amount: int | None = None,
                currency: str | None = None, event_id: str | None = None, secret: str | None = None,
                timestamp: int | None = None) -> tuple[bytes, Mapping[str, str]]:
        if type != EventType.CHARGE_SUCCEEDED:
            raise NotImplementedError(f"this harness sends no PayPal event for {type.value}")
        cents = amount or 0
        resource = {"id": "3CFAKE" + charge_processor_key[-6:], "status": "COMPLETED",
                    "amount": {"currency_code": (currency or "usd").upper(),
                               "value": f"{cents // 100}.{cents % 100:02d}"},
                    "supplementary_data": {"related_ids": {"order_id": charge_processor_key}}}
        return self.server.send("PAYMENT.CAPTURE.COMPLETED", resource, event_id=event_id,
                                forge_with=secret.encode() if secret else None)

    def processor_charges(self, idempotency_key: str | None = None) -> list[Mapping[str, Any]]:
        found = []
        for order in list(self.server.orders.values()):
            unit = order["purchase_units"][0]
            if idempotency_key is not None and unit.get("custom_id") != idempotency_key:
                continue
            capture = self.server.capture_of(order["id"]) or {}
            found.append({"id": order["id"], "amount": _cents(unit["amount"]["value"]),
                          "currency": unit["amount"]["currency_code"].lower(),
                          "status": _STATUSES.get(order["status"], "pending"),
                          "amount_refunded": capture.get("amount_refunded", 0),
                          "idempotency_key": unit.get("custom_id")})
        return found
