"""The conformance harness of the Flutterwave v3 backend, on the fake v3
server (:mod:`fakeserver`).

``pay`` does what FlutterwaveCheckout does in the browser: the customer pays
the context's ``tx_ref`` with one of Flutterwave's test cards
(:meth:`FakeFlutterwave.pay`), and the page posts the transaction id the
script's callback hands it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any, ClassVar

from payproc.money import from_major, to_major
from payproc.types import EventType, PaymentContext
from payproc_flutterwave.refs import tx_ref_for
from payproc_flutterwave_tests_fakeserver import (  # loaded by conftest
    DECLINED_CARD,
    SUCCESS_CARD,
    THREE_DS_CARD,
    REFUND,
    VERIFY,
    FakeFlutterwave,
    Fault,
)

__all__ = ["CAPABILITIES", "FlutterwaveHarness"]

CAPABILITIES = frozenset({
    "settings_model",
    "configure",
    "browser_integration",
    "get_payment_context",
    "create_payment",
    "complete_payment",
    "list_payments",
    "create_charge",
    "create_or_update_card",
    "delete_card",
    "retrieve_charge",
    "refund_charge",
    "retrieve_refund",
    "charge_distribution",
    "parse_webhook",
})

#: The suite's customer (payproc.testing.driver adds them with this email).
CUSTOMER_EMAIL = "xia@example.com"


class FlutterwaveHarness:
    """:class:`payproc.testing.harness.BackendHarness` for Flutterwave v3."""

    backend = "flutterwave"
    capabilities = CAPABILITIES
    currency = "ngn"
    limitations: ClassVar[dict[str, str]] = {
        "stale_webhook": "Flutterwave does not sign a timestamp: verif-hash is a fixed shared secret",
        "dispute_webhook": "this backend does not read Flutterwave's chargeback events (see the README)",
        "signed_body": "verif-hash is a shared secret, not a signature of the body (the backend re-reads "
                       "the transaction from the API instead)",
    }

    def __init__(self, settings: Mapping[str, Any], fake: FakeFlutterwave) -> None:
        self._settings = dict(settings)
        self.fake = fake

    def processor_settings(self) -> Mapping[str, Any]:
        return dict(self._settings)

    # --- the browser ----------------------------------------------------------

    def pay(self, context: PaymentContext, amount: int, currency: str, *,
            outcome: str = "success") -> tuple[str, Mapping[str, str]]:
        tx_ref = context.reference
        assert tx_ref and context.values["tx_ref"] == tx_ref, "the context carries its tx_ref as reference"
        # FlutterwaveCheckout charges what the page was given, in major units.
        major, code = str(context.values["amount"]), str(context.values["currency"])
        assert from_major(major, currency) == amount and code == currency.upper()
        email = context.values["customer"]["email"] or CUSTOMER_EMAIL
        if outcome == "decline":
            paid = self.fake.pay(tx_ref, major, code, card=DECLINED_CARD, email=email)
        elif outcome == "challenge":  # Flutterwave's 3-D Secure test card: pending until the customer acts
            paid = self.fake.pay(tx_ref, major, code, card=THREE_DS_CARD, email=email)
        elif outcome in ("success", "unknown"):
            paid = self.fake.pay(tx_ref, major, code, card=SUCCESS_CARD, email=email)
            if outcome == "unknown":  # the payment exists; the answer to its verification is lost
                self.fake.add_fault(VERIFY, Fault(status=504))
        else:
            raise ValueError(f"unknown outcome {outcome!r}")
        return str(paid.id), {}

    def challenge(self, charge_processor_key: str, next_action: Mapping[str, Any], *,
                  outcome: str = "success") -> Mapping[str, str]:
        """The customer answers the 3-D Secure page ``next_action`` sends
        them to; what comes back is what FlutterwaveCheckout's callback (or
        the return URL's query) carries."""
        assert next_action.get("kind") == "redirect" and str(next_action.get("url", "")).startswith(self.fake.url)
        transaction = self.fake.authenticate(int(charge_processor_key), passed=outcome == "success")
        return {"status": transaction.status, "tx_ref": transaction.tx_ref, "transaction_id": str(transaction.id)}

    def lose_next_answer(self, operation: str) -> None:
        """Flutterwave makes the next refund, and its answer is lost (504)."""
        if operation != "refund":
            raise NotImplementedError(f"the Flutterwave v3 backend makes no {operation}")
        self.fake.add_fault(REFUND, Fault(status=504, after=True))

    def card_token(self, *, outcome: str = "success") -> str:
        """The id of a card payment of the suite's customer (Flutterwave
        tokenizes a card only by charging it): a small verification charge."""
        card = DECLINED_CARD if outcome == "decline" else SUCCESS_CARD
        paid = self.fake.pay(f"payproc-cardcheck-{secrets.token_hex(8)}", "50.00", "NGN", card=card,
                             email=CUSTOMER_EMAIL)
        return str(paid.id)

    # --- the webhook sender ---------------------------------------------------

    def webhook(self, type: EventType, charge_processor_key: str, *, amount: int | None = None,
                currency: str | None = None, event_id: str | None = None, secret: str | None = None,
                timestamp: int | None = None) -> tuple[bytes, Mapping[str, str]]:
        """A v3 ``charge.completed`` webhook with the ``verif-hash`` header.
        Flutterwave carries no delivery id (``event_id`` is not used) and
        signs no time (``timestamp`` is not used)."""
        statuses = {EventType.CHARGE_SUCCEEDED: "successful", EventType.CHARGE_FAILED: "failed"}
        if type not in statuses:
            raise NotImplementedError(f"this harness sends no Flutterwave webhook for {type.value}")
        transaction = self.fake.transactions.get(int(charge_processor_key)) if charge_processor_key.isdigit() else None
        data: dict[str, Any] = transaction.data() if transaction is not None else {"id": charge_processor_key}
        data["status"] = statuses[type]
        if amount is not None and currency is not None:
            data.update(amount=str(to_major(amount, currency)), currency=currency.upper())
        body = {"event": "charge.completed", "data": data, "event.type": "CARD_TRANSACTION"}
        signature = secret if secret is not None else str(self._settings.get("WEBHOOK_SECRET") or "")
        return json.dumps(body).encode(), {"content-type": "application/json", "verif-hash": signature}

    # --- the backdoor ---------------------------------------------------------

    def processor_charges(self, idempotency_key: str | None = None) -> list[Mapping[str, Any]]:
        wanted = tx_ref_for(idempotency_key) if idempotency_key else None
        charges = []
        for record in list(self.fake.transactions.values()):
            if wanted is not None and record.tx_ref != wanted:
                continue
            charges.append({
                "id": str(record.id),  # the charge's processor key in payproc
                "tx_ref": record.tx_ref,
                "amount": from_major(record.amount, record.currency),
                "currency": record.currency.lower(),
                "status": record.status,
                "amount_refunded": from_major(record.refunded, record.currency),
                "refunds": list(record.refunds),
            })
        return charges
