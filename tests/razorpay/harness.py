"""``RazorpayHarness``: what the conformance suite and our scenario tests need
from Razorpay that payproc cannot do itself.

* ``pay`` plays Razorpay Checkout: it pays the context's order on the fake
  (backdoor ``/_test/checkout``) and returns the payment id with the
  ``razorpay_signature`` Checkout would post (HMAC of ``order_id|payment_id``
  with the key secret).
* ``card_payment`` pays a card-update context the same way, and
  ``card_token`` (the suite's) makes that context for the customer
  :meth:`RazorpayHarness.bind` names: a card is saved only from a payment
  on an order payproc opened for that customer.
* ``webhook`` builds and signs the callback Razorpay would send.
* ``processor_charges`` reads the fake's payments directly, so results are
  checked without trusting the backend.

Against Razorpay's test mode (``RAZORPAY_TEST_KEY_ID``/``_SECRET`` set) the
server comes from configuration and there is no backdoor: Checkout needs a
browser, so ``pay``/``card_token``/``processor_charges`` raise
:class:`BackdoorUnavailable` (tests turn that into a skip).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from typing import Any

import requests
from payproc.types import EventType, PaymentContext, ProcessorKeys
from payproc_razorpay.amounts import receipt_for
from razorpay_fake_state import build_webhook, sign

__all__ = ["BackdoorUnavailable", "RazorpayHarness"]

_EVENTS = {
    EventType.CHARGE_SUCCEEDED: "payment.captured",
    EventType.CHARGE_CAPTURED: "payment.captured",
    EventType.CHARGE_FAILED: "payment.failed",
    EventType.CHARGE_REFUNDED: "refund.processed",
    EventType.REFUND_FAILED: "refund.failed",
    EventType.DISPUTE_CREATED: "payment.dispute.created",
    EventType.DISPUTE_UPDATED: "payment.dispute.under_review",
    EventType.DISPUTE_WON: "payment.dispute.won",
    EventType.DISPUTE_LOST: "payment.dispute.lost",
    EventType.TRANSFER_PAID: "transfer.processed",
    EventType.CHARGE_AUTHORIZED: "payment.authorized",
    EventType.DISPUTE_CLOSED: "payment.dispute.closed",
    EventType.TRANSFER_FAILED: "transfer.failed",
    EventType.IGNORED: "order.paid",
}
_STATUS = {"captured": "succeeded", "authorized": "pending", "created": "pending", "failed": "failed"}


class BackdoorUnavailable(RuntimeError):
    """Raised in live mode for what only the fake can do."""


#: The Route linked account the suite pays out to; the fake learns it through
#: its backdoor (``/_test/accounts``) when the suite asks for ``provider_keys``.
SUITE_LINKED_ACCOUNT = "acc_SuiteProvider01"


class RazorpayHarness:
    backend = "razorpay"
    #: Razorpay settles (and Route transfers) in rupees only.
    currency = "inr"
    #: What this set-up cannot stage for the conformance suite.
    limitations: Mapping[str, str] = {
        "stale_webhook": "Razorpay signs no timestamp: X-Razorpay-Signature is an HMAC of the body alone, "
        "so a replayed delivery cannot be told stale by its signature",
        "customer_action": "Razorpay Checkout runs OTP / 3-D Secure / UPI approval inside its own popup and "
        "hands the page a payment only after it: the server is never answered requires_action for a "
        "checkout payment, so there is no challenge to stage (a UPI payment still awaiting approval is "
        "pending; tests/razorpay/test_razorpay_app_checkout.py covers it)",
    }
    capabilities = frozenset(
        {
            "settings_model", "configure", "browser_integration", "get_payment_context", "create_payment",
            "create_charge", "retrieve_charge", "refund_charge", "charge_distribution", "dispute_fee",
            "prorate_transfer", "create_or_update_card", "delete_card", "retrieve_card", "create_transfer",
            "reconcile_transfers", "retrieve_bank", "get_deposit_context", "parse_webhook",
            # contract 1.1
            "minimum_amount", "complete_payment", "cancel_payment", "capture_charge", "list_payments",
            "retrieve_refund", "retrieve_transfer",
        }
    )

    def __init__(self, *, api_base: str, key_id: str, key_secret: str, webhook_secret: str,
                 live: bool = False, timeout: float = 1.0) -> None:
        self.api_base = api_base.rstrip("/")
        self.key_id = key_id
        self.key_secret = key_secret
        self.webhook_secret = webhook_secret
        self.live = live
        self.timeout = timeout
        self.session = requests.Session()
        #: Whose card :meth:`card_token` saves (:meth:`bind`).
        self.app: Any = None
        self.card_customer: str | None = None

    @classmethod
    def from_environment(cls) -> RazorpayHarness | None:
        """The live (Razorpay test mode) harness, when keys are configured."""
        key_id, secret = os.environ.get("RAZORPAY_TEST_KEY_ID"), os.environ.get("RAZORPAY_TEST_KEY_SECRET")
        if not key_id or not secret:
            return None
        return cls(
            api_base=os.environ.get("RAZORPAY_TEST_API_BASE", "https://api.razorpay.com"),
            key_id=key_id,
            key_secret=secret,
            webhook_secret=os.environ.get("RAZORPAY_TEST_WEBHOOK_SECRET", "payproc-local-webhook-secret"),
            live=True,
            timeout=30.0,
        )

    # --- the protocol ----------------------------------------------------

    def processor_settings(self) -> Mapping[str, Any]:
        return {
            "BACKEND": "razorpay",
            "PUB_KEY": self.key_id,
            "PRIV_KEY": self.key_secret,
            "WEBHOOK_SECRET": self.webhook_secret,
            "API_BASE": self.api_base,
            "TIMEOUT": self.timeout,
        }

    def provider_keys(self) -> ProcessorKeys:
        """The suite's provider as a Route linked account the server knows:
        registered on the fake through its backdoor; against Razorpay's test
        mode, ``RAZORPAY_TEST_LINKED_ACCOUNT`` (none: payouts fail, saying so)."""
        if self.live:
            return ProcessorKeys(deposit_key=os.environ.get("RAZORPAY_TEST_LINKED_ACCOUNT"))
        self.backdoor("accounts", {"id": SUITE_LINKED_ACCOUNT})
        return ProcessorKeys(deposit_key=SUITE_LINKED_ACCOUNT)

    def pay(self, context: PaymentContext, amount: int, currency: str, *, outcome: str = "success",
            card: Mapping[str, Any] | None = None, method: str = "card",
            save: bool | None = None, customer_id: str | None = None,
            token_id: str | None = None) -> tuple[str, Mapping[str, str]]:
        """Checkout pays the order (``method="upi"``: a collect request the
        customer has not approved yet; ``save``: the customer ticks "save
        this card", by default when Checkout was given a customer).
        ``customer_id``: a page that gives Checkout another customer than
        the context's (the browser sets Checkout's options); ``token_id``:
        the customer picks that customer's saved card."""
        order_id = context.reference or str(context.values["order_id"])
        customer_id = customer_id or context.values.get("customer_id")
        payment = self.backdoor("checkout", {
            "order_id": order_id,
            "outcome": outcome,
            "save": bool(customer_id) if save is None else save,
            "card": dict(card or {}),
            "method": method,
            "customer_id": customer_id,
            "token_id": token_id,
        })
        return payment["id"], {
            "razorpay_signature": self.checkout_signature(order_id, payment["id"]),
            "razorpay_order_id": order_id,
        }

    def bind(self, app: Any, customer: str) -> None:
        """Tell :meth:`card_token` whose card it saves: ``customer`` of
        ``app`` (the conformance suite's customer of ``payproc_app``)."""
        self.app, self.card_customer = app, customer

    def card_token(self, *, outcome: str = "success", card: Mapping[str, Any] | None = None) -> str:
        """A card saved the way a page saves one: the bound customer's
        card-update context (``payment_context`` without an amount: the
        order payproc opens on their Razorpay customer), paid by Checkout.
        Razorpay names no subscriber in a payment: only a payment on an
        order payproc opened for the customer puts a card on file."""
        if self.live:
            raise BackdoorUnavailable("Razorpay test mode has no backdoor to pay a card-update order (Checkout needs "
                                      "a browser)")
        if self.app is None or self.card_customer is None:
            raise RuntimeError("card_token() needs the application and customer the card is for: harness.bind(app, "
                               "customer) (or card_payment() with a card-update context)")
        prepared = self.app.payment_context(self.card_customer)
        context = PaymentContext(prepared.values, prepared.token_field, None)
        return self.card_payment(context, outcome=outcome, card=card)

    def card_payment(self, context: PaymentContext, *, outcome: str = "success",
                     card: Mapping[str, Any] | None = None) -> str:
        """Checkout pays a card-update ``context`` (the page's values: the
        order and the customer's ``customer_id``); returns the payment id the
        page posts as the card."""
        assert context.values.get("recurring") == "1", "not a card-update context (payment_context without amount)"
        amount, currency = int(context.values["amount"]), str(context.values["currency"]).lower()
        payment_id, _ = self.pay(context, amount, currency, outcome=outcome, card=card)
        return payment_id

    def webhook(self, type: EventType, charge_processor_key: str, *, amount: int | None = None,
                currency: str | None = None, event_id: str | None = None, secret: str | None = None,
                timestamp: int | None = None) -> tuple[bytes, Mapping[str, str]]:
        name = _EVENTS[type]
        try:
            payment = dict(self.backdoor(f"payments/{charge_processor_key}"))
        except (BackdoorUnavailable, AssertionError):
            payment = {"id": charge_processor_key, "entity": "payment", "amount": amount or 0,
                       "currency": (currency or "inr").upper(), "status": "captured", "captured": True}
        amount = payment["amount"] if amount is None else amount
        upper = (currency or payment["currency"]).upper()
        entities: dict[str, Mapping[str, Any]] = {"payment": payment}
        if name.startswith("refund."):
            entities["refund"] = {"id": f"rfnd_wh{int(time.time() * 1000) % 10**10:010d}", "entity": "refund",
                                  "amount": amount, "currency": upper, "payment_id": charge_processor_key,
                                  "status": name.split(".")[1], "created_at": int(time.time())}
        elif name.startswith("payment.dispute."):
            status = name.rsplit(".", 1)[1]
            entities["dispute"] = {"id": "disp_wh" + charge_processor_key[-8:], "entity": "dispute",
                                   "payment_id": charge_processor_key, "amount": amount, "currency": upper,
                                   "amount_deducted": amount if status == "lost" else 0,
                                   "status": "open" if status == "created" else status, "phase": "chargeback"}
        elif name.startswith("transfer."):
            entities = {"transfer": {"id": "trf_wh" + charge_processor_key[-8:], "entity": "transfer",
                                     "source": charge_processor_key, "amount": amount, "currency": upper,
                                     "status": name.split(".")[1], "recipient": "acc_Provider000001"}}
        else:
            payment["amount"], payment["currency"] = amount, upper
        delivery = build_webhook(name, entities, secret or self.webhook_secret,
                                 timestamp if timestamp is not None else int(time.time()), event_id)
        return delivery.body, {k.lower(): v for k, v in delivery.headers.items()}

    def processor_charges(self, idempotency_key: str | None = None) -> list[Mapping[str, Any]]:
        query = {"receipt": receipt_for(idempotency_key)} if idempotency_key else {}
        items = self.backdoor("payments", query=query)["items"]
        return [
            {
                **item,
                "currency": item["currency"].lower(),
                "razorpay_status": item["status"],
                "status": "succeeded" if item["captured"] else _STATUS.get(item["status"], item["status"]),
            }
            for item in items
        ]

    # --- beyond the protocol ---------------------------------------------

    def checkout_signature(self, order_id: str, payment_id: str) -> str:
        return sign(self.key_secret, f"{order_id}|{payment_id}".encode())

    def backdoor(self, what: str, data: Mapping[str, Any] | None = None, *,
                 query: Mapping[str, str] | None = None) -> Any:
        if self.live:
            raise BackdoorUnavailable(f"Razorpay test mode has no backdoor for {what!r} (Checkout needs a browser)")
        url = f"{self.api_base}/_test/{what}"
        if data is None:
            response = self.session.get(url, params=query, timeout=10)
        else:
            response = self.session.post(url, data=json.dumps(data), timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def deliveries(self, event: str | None = None) -> list[tuple[bytes, dict[str, str]]]:
        """Webhooks the fake sent (raw body, lower-case headers)."""
        return [
            (item["body"].encode(), {k.lower(): v for k, v in item["headers"].items()})
            for item in self.backdoor("webhooks")["items"]
            if event is None or item["event"] == event
        ]

    def lose_next_answer(self, operation: str) -> None:
        """Razorpay carries out the next refund (``"refund"``) or Route
        transfer (``"transfer"``), but its answer comes after our timeout."""
        path = {"refund": r"/v1/payments/[^/]+/refund", "transfer": "/v1/transfers"}[operation]
        self.backdoor("faults", {"method": "POST", "path": path, "mode": "timeout", "delay": self.timeout + 0.5})

    def complete_pending(self) -> None:
        """The conformance suite's hook for what Razorpay does later: the
        recurring debits come due."""
        self.debit_due()

    def debit_due(self) -> list[str]:
        """Razorpay's clock passes the debit time of the recurring payments
        it was asked for: each is authorized (and captured by its order) or
        refused by the bank. Returns their ids."""
        return list(self.backdoor("recurring/debit", {})["payments"])

    def requests_made(self) -> list[tuple[str, str]]:
        return [tuple(item) for item in self.backdoor("requests")["items"]]
