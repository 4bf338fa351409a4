"""``StripeHarness``: what the conformance suite needs from the Stripe backend's
test set-up — the fake server's settings, the browser's part (confirming the
PaymentIntent with the publishable key, as Stripe.js does), signed webhooks,
and a backdoor view of the charges the server holds.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests

from fakestripe_auth import CHALLENGE_PATH
from fakestripe_server import FakeStripe
from fakestripe_state import Account, export, new_id, template
from payproc.hookspecs import BACKEND_HOOKS
from payproc.types import EventType, PaymentContext
from payproc_stripe.charges import payment_key
from payproc_stripe.webhooks import sign

STRIPE_TYPES = {
    EventType.CHARGE_SUCCEEDED: "charge.succeeded",
    EventType.CHARGE_FAILED: "charge.failed",
    EventType.CHARGE_CAPTURED: "charge.captured",
    EventType.CHARGE_REFUNDED: "charge.refunded",
    EventType.DISPUTE_CREATED: "charge.dispute.created",
    EventType.DISPUTE_UPDATED: "charge.dispute.updated",
    EventType.DISPUTE_WON: "charge.dispute.closed",
    EventType.DISPUTE_LOST: "charge.dispute.closed",
    EventType.REFUND_FAILED: "refund.failed",
    EventType.TRANSFER_PAID: "payout.paid",
    EventType.IGNORED: "customer.created",
}
DISPUTE_STATUS = {
    EventType.DISPUTE_CREATED: "needs_response",
    EventType.DISPUTE_UPDATED: "under_review",
    EventType.DISPUTE_WON: "won",
    EventType.DISPUTE_LOST: "lost",
}


class StripeHarness:
    """The conformance suite's view of a running fake Stripe."""

    backend = "stripe"
    #: Stripe captures PaymentIntents automatically: no authorize-then-capture (``capture_charge``).
    capabilities = frozenset(BACKEND_HOOKS) - {"capture_charge"}

    def __init__(self, server: FakeStripe, *, mode: int = 0, use_platform_keys: bool = False,
                 webhook_secret: str = "whsec_test_current") -> None:
        self.server = server
        self.mode = mode
        self.use_platform_keys = use_platform_keys
        self.webhook_secret = webhook_secret

    def processor_settings(self) -> Mapping[str, Any]:
        platform = self.server.platform
        return {
            "BACKEND": "stripe",
            "PUB_KEY": platform.publishable_key,
            "PRIV_KEY": platform.secret_key,
            "CLIENT_ID": self.server.state.client_id,
            "MODE": self.mode,
            "USE_PLATFORM_KEYS": self.use_platform_keys,
            "WEBHOOK_SECRET": self.webhook_secret,
            "API_BASE": self.server.url,
            "MAX_NETWORK_RETRIES": 0,
            "TIMEOUT": 5,
        }

    # --- the browser ----------------------------------------------------------

    def confirm_in_browser(self, context: PaymentContext, payment_method: str) -> requests.Response:
        """What Stripe.js ``confirmCardPayment`` does: confirm with the publishable key."""
        secret = context.values["STRIPE_INTENT_SECRET"]
        intent = secret.split("_secret_")[0]
        kind = "setup_intents" if intent.startswith("seti_") else "payment_intents"
        headers = {"Authorization": f"Bearer {context.values['STRIPE_PUB_KEY']}"}
        if context.values.get("STRIPE_ACCOUNT"):
            headers["Stripe-Account"] = context.values["STRIPE_ACCOUNT"]
        return requests.post(
            f"{self.server.url}/v1/{kind}/{intent}/confirm",
            data={"client_secret": secret, "payment_method": payment_method},
            headers=headers, timeout=5,
        )

    def answer_challenge(self, intent: str, outcome: str = "complete") -> requests.Response:
        """The customer on the issuer's 3-D Secure page: ``complete`` or ``fail`` (redirects not followed)."""
        return requests.post(f"{self.server.url}{CHALLENGE_PATH}{intent}", data={"outcome": outcome}, timeout=5,
                             allow_redirects=False)

    def challenge(self, charge_processor_key: str, next_action: Mapping[str, Any], *,
                  outcome: str = "success") -> Mapping[str, str]:
        """The customer on the issuer's page; what their return carries back: the
        redirect's query, or what Stripe.js's ``confirmCardPayment`` hands the page."""
        answer = self.answer_challenge(charge_processor_key, "complete" if outcome == "success" else "fail")
        if answer.status_code == 302:
            query = parse_qs(urlparse(answer.headers["Location"]).query)
            return {name: values[0] for name, values in query.items()}
        return {"payment_intent": charge_processor_key}

    def signed(self, event_type: str, obj: Mapping[str, Any], **extra: Any) -> tuple[bytes, Mapping[str, str]]:
        """A signed delivery of ``obj`` as a Stripe event of ``event_type``."""
        event = template("event", id=new_id("evt"), type=event_type, created=int(time.time()),
                         data={"object": dict(obj)}, api_version="2026-10-28.endive", **extra)
        body = json.dumps(event).encode()
        return body, {"stripe-signature": sign(body, self.webhook_secret, int(time.time())),
                      "content-type": "application/json"}

    def pay(self, context: PaymentContext, amount: int, currency: str, *,
            outcome: str = "success") -> tuple[str, Mapping[str, str]]:
        if outcome == "unknown":
            # Stripe makes the charge; the answer to the server's request is lost.
            self.server.fail_next("POST", r"^/v1/payment_intents(/[^/]+/confirm)?$", status=500, after=True)
            return "pm_card_visa", {}
        method = {"success": "pm_card_visa", "challenge": "pm_card_threeDSecure2Required"}.get(
            outcome, "pm_card_chargeDeclined")
        secret = (context.values or {}).get("STRIPE_INTENT_SECRET")
        if not secret:
            return {"success": "tok_visa", "challenge": "tok_threeDSecure2Required"}.get(
                outcome, "tok_chargeDeclined"), {}
        self.confirm_in_browser(context, method)
        return secret.split("_secret_")[0], {}

    def lose_next_answer(self, operation: str) -> None:
        """Stripe makes the next refund or payout, and its answer is lost (a 500 after the work).

        A payout Stripe creates is ``pending`` until the bank pays it; the
        suite settles a lost payout expecting it paid, so the payout staged
        here is also paid by the bank before anyone asks (time passing).
        """
        paths = {"refund": r"^/v1/refunds$", "transfer": r"^/v1/payouts$"}
        if operation == "transfer":
            self.server.state.paid_payouts += 1
        self.server.fail_next("POST", paths[operation], status=500, after=True)

    def card_token(self, *, outcome: str = "success") -> str:
        return "tok_visa" if outcome == "success" else "tok_chargeDeclined"

    # --- webhooks ---------------------------------------------------------------

    def _charge(self, key: str) -> tuple[Account | None, dict[str, Any] | None]:
        """The charge behind a processor key (a PaymentIntent's latest charge, or a ``ch_`` id)."""
        for account in self.server.state.accounts.values():
            found = account.objects.get(key)
            if found is not None and found["object"] == "payment_intent":
                found = account.objects.get(found.get("latest_charge") or "")
            if found is not None:
                return account, found
        return None, None

    def _object(self, type: EventType, key: str, amount: int | None, currency: str | None) -> tuple[dict, dict | None]:
        account, charge = self._charge(key)
        state = self.server.state
        if charge is None:
            charge = template("charge", id=key if key.startswith("ch_") else new_id("ch"), amount=amount or 1000,
                              currency=currency or "usd", amount_refunded=0, refunded=False, status="succeeded",
                              payment_intent=key if key.startswith("pi_") else None, _refunds=[])
        obj = export(charge)
        if type == EventType.CHARGE_REFUNDED:
            for event in reversed(state.events):
                if event["type"] == "charge.refunded" and payment_key(event["data"]["object"]) == key:
                    return event["data"]["object"], event["data"].get("previous_attributes")
            before = obj["amount_refunded"]
            obj["amount_refunded"] = before + (amount if amount is not None else obj["amount"] - before)
            obj["refunded"] = obj["amount_refunded"] == obj["amount"]
            return obj, {"amount_refunded": before, "refunded": False}
        if type in DISPUTE_STATUS:
            if account is not None:
                dispute = state.dispute(account, obj["id"], DISPUTE_STATUS[type])
            else:
                dispute = template("dispute", id=new_id("dp"), charge=obj["id"], payment_intent=obj["payment_intent"],
                                   amount=obj["amount"], currency=obj["currency"], status=DISPUTE_STATUS[type],
                                   balance_transactions=[])
            if amount is not None:
                dispute["amount"] = amount
            return export(dispute), None
        if type == EventType.REFUND_FAILED:
            return template("refund", id=new_id("re"), charge=obj["id"], payment_intent=obj["payment_intent"],
                            amount=amount or obj["amount"], currency=obj["currency"], status="failed"), None
        if type == EventType.TRANSFER_PAID:
            return template("payout", id=new_id("po"), amount=amount or 0, currency=currency or "usd",
                            status="paid"), None
        return obj, None

    def webhook(self, type: EventType, charge_processor_key: str, *, amount: int | None = None,
                currency: str | None = None, event_id: str | None = None, secret: str | None = None,
                timestamp: int | None = None) -> tuple[bytes, Mapping[str, str]]:
        obj, previous = self._object(type, charge_processor_key, amount, currency)
        data: dict[str, Any] = {"object": obj}
        if previous is not None:
            data["previous_attributes"] = previous
        event = template("event", id=event_id or new_id("evt"), type=STRIPE_TYPES[type], created=int(time.time()),
                         data=data, api_version="2026-10-28.endive")
        body = json.dumps(event).encode()
        at = int(time.time()) if timestamp is None else timestamp
        return body, {"stripe-signature": sign(body, secret or self.webhook_secret, at),
                      "content-type": "application/json"}

    # --- backdoor ----------------------------------------------------------------

    def processor_charges(self, idempotency_key: str | None = None) -> list[Mapping[str, Any]]:
        found = []
        for account in self.server.state.accounts.values():
            for obj in account.objects.values():
                if obj.get("object") != "charge":
                    continue
                intent = account.objects.get(obj.get("payment_intent") or "", {})
                keys = {(intent.get("metadata") or {}).get("payproc_idempotency_key"),
                        *intent.get("_idempotency_keys", [])}
                if idempotency_key is None or any(
                        k and (k == idempotency_key or k.startswith(idempotency_key + ":")) for k in keys):
                    # the processor key payproc holds: the PaymentIntent's id
                    found.append({**export(obj), "id": obj.get("payment_intent") or obj["id"], "charge": obj["id"],
                                  "account": account.id})
        return found
