"""The conformance harness of the legacy v2 Flutterwave backend.

On the fake server (the default), ``pay`` does what Flutterwave Inline does
in the browser: it creates the transaction for the context's ``tx_ref``
through the fake's test-only backdoor. Against Flutterwave's sandbox
(``FLUTTERWAVE_TEST_PUB_KEY``/``FLUTTERWAVE_TEST_SEC_KEY`` set), it charges
one of Flutterwave's documented sandbox test cards through rave_python's
card API, which is what Inline does on the payer's behalf (test cards only:
no real card data exists in this code).
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from typing import Any, ClassVar

from payproc.money import from_major, to_major
from payproc.types import EventType, PaymentContext
from payproc_flutterwave.refs import tx_ref_for
from payproc_flutterwave_legacy_tests_fakeserver import (  # loaded by conftest
    VERIFY,
    FakeFlutterwave,
    Fault,
)

__all__ = ["CAPABILITIES", "LEGACY_BACKEND", "FlutterwaveHarness", "sandbox_settings"]

#: How settings select the legacy v2 backend (no entry point of its own).
LEGACY_BACKEND = "payproc_flutterwave.legacy:FlutterwaveV2Backend"

CAPABILITIES = frozenset({
    "settings_model",
    "configure",
    "browser_integration",
    "get_payment_context",
    "create_payment",
    "retrieve_charge",
    "refund_charge",
    "charge_distribution",
    "parse_webhook",
})

#: Flutterwave's documented sandbox cards (PIN 3310, OTP 12345).
SANDBOX_CARDS = {
    "success": {"cardno": "5531886652142950", "cvv": "564", "expirymonth": "09", "expiryyear": "32"},
    "decline": {"cardno": "5258585922666506", "cvv": "883", "expirymonth": "09", "expiryyear": "31"},
}


def sandbox_settings() -> dict[str, Any] | None:
    """The PROCESSOR section for Flutterwave's sandbox, or ``None`` when the
    sandbox keys are not in the environment."""
    pub = os.environ.get("FLUTTERWAVE_TEST_PUB_KEY")
    sec = os.environ.get("FLUTTERWAVE_TEST_SEC_KEY")
    if not (pub and sec):
        return None
    return {
        "BACKEND": LEGACY_BACKEND,
        "PUB_KEY": pub,
        "PRIV_KEY": sec,
        "WEBHOOK_SECRET": os.environ.get("FLUTTERWAVE_TEST_WEBHOOK_HASH") or secrets.token_hex(16),
        "API_BASE": os.environ.get("FLUTTERWAVE_TEST_API_BASE") or None,
        "PRODUCTION": False,
        "TIMEOUT": 60.0,
    }


class FlutterwaveHarness:
    """:class:`payproc.testing.harness.BackendHarness` for Flutterwave."""

    backend = LEGACY_BACKEND
    capabilities = CAPABILITIES
    limitations: ClassVar[dict[str, str]] = {
        "stale_webhook": "Flutterwave does not sign a timestamp: verif-hash is a fixed shared secret",
        "dispute_webhook": "Flutterwave v2 sends no dispute webhooks",
        "signed_body": "verif-hash is a shared secret, not a signature of the body",
    }

    def __init__(self, settings: Mapping[str, Any], fake: FakeFlutterwave | None = None) -> None:
        self._settings = dict(settings)
        self.fake = fake

    @property
    def sandbox(self) -> bool:
        return self.fake is None

    def processor_settings(self) -> Mapping[str, Any]:
        return dict(self._settings)

    # --- the browser ----------------------------------------------------------

    def pay(self, context: PaymentContext, amount: int, currency: str, *, outcome: str = "success") -> tuple[str, Mapping[str, str]]:
        tx_ref = context.reference
        assert tx_ref, "a Flutterwave payment context carries its tx_ref as reference"
        # Inline charges what the page was given, in major units.
        major, code = str(context.values["amount"]), str(context.values["currency"])
        assert from_major(major, currency) == amount and code == currency.upper()
        if self.fake is None:
            return self._sandbox_pay(tx_ref, major, code, outcome), {}
        if outcome == "decline":
            created = self.fake.create_transaction(tx_ref, major, code, status="failed", chargecode="05",
                                                   chargemessage="Declined by issuer")
        elif outcome in ("success", "unknown"):
            created = self.fake.create_transaction(tx_ref, major, code)
            if outcome == "unknown":  # the charge exists; the verify answer is lost
                self.fake.add_fault(VERIFY, Fault(status=504, body="<html><body>504 Gateway Time-out</body></html>"))
        else:
            raise ValueError(f"unknown outcome {outcome!r}")
        return str(created.txid), {}

    def _sandbox_pay(self, tx_ref: str, major: str, code: str, outcome: str) -> str:
        from payproc_flutterwave.legacy.sdk import silence_side_channels
        from rave_python.rave_card import Card
        from rave_python.rave_misc import updatePayload

        silence_side_channels()
        settings = self._settings
        card = Card(settings["PUB_KEY"], settings["PRIV_KEY"], False, False)
        if settings.get("API_BASE"):
            card._baseUrl = settings["API_BASE"].rstrip("/") + "/"
        details = dict(SANDBOX_CARDS["decline" if outcome == "decline" else "success"])
        details.update(amount=major, currency=code, email="payproc-tests@example.com", txRef=tx_ref, country="NG")
        answer = card.charge(details)
        if answer.get("validationRequired") and answer.get("suggestedAuth"):
            updatePayload(answer["suggestedAuth"], details, pin="3310")
            answer = card.charge(details)
        if answer.get("validationRequired"):
            card.validate(answer["flwRef"], "12345")
        return str(answer.get("flwRef"))

    def card_token(self, *, outcome: str = "success") -> str:
        raise NotImplementedError("the Flutterwave backend keeps no card on file (no create_or_update_card)")

    # --- the webhook sender ---------------------------------------------------

    def webhook(self, type: EventType, charge_processor_key: str, *, amount: int | None = None,
                currency: str | None = None, event_id: str | None = None, secret: str | None = None,
                timestamp: int | None = None) -> tuple[bytes, Mapping[str, str]]:
        """A v2 card-transaction webhook (``"event.type": "CARD_TRANSACTION"``)
        with the ``verif-hash`` header. Flutterwave v2 sends webhooks for
        charges only, carries no delivery id (``event_id`` is not used) and
        does not sign time (``timestamp`` is not used)."""
        statuses = {EventType.CHARGE_SUCCEEDED: "successful", EventType.CHARGE_FAILED: "failed"}
        if type not in statuses:
            raise NotImplementedError(f"Flutterwave v2 sends no webhook for {type.value}")
        body: dict[str, Any] = {"flwRef": charge_processor_key, "status": statuses[type],
                                "event.type": "CARD_TRANSACTION"}
        if self.fake is not None:
            transaction = self.fake.by_flwref(charge_processor_key)
            if transaction is not None:
                body.update(id=transaction.txid, txRef=transaction.txref, orderRef=f"URF_{transaction.txid}",
                            amount=float(transaction.amount), charged_amount=float(transaction.amount),
                            currency=transaction.currency, createdAt=transaction.created,
                            entity={"card6": "553188", "card_last4": "2950"},
                            customer={"email": "joe@example.com", "fullName": "Joe Test"})
        if amount is not None and currency is not None:
            body.update(amount=str(to_major(amount, currency)), currency=currency.upper())
        raw = json.dumps(body).encode()
        signature = secret if secret is not None else str(self._settings.get("WEBHOOK_SECRET") or "")
        return raw, {"content-type": "application/json", "verif-hash": signature}

    # --- the backdoor ---------------------------------------------------------

    def processor_charges(self, idempotency_key: str | None = None) -> list[Mapping[str, Any]]:
        if self.fake is None:
            raise NotImplementedError("Flutterwave's sandbox has no backdoor: verify the tx_ref instead")
        wanted = tx_ref_for(idempotency_key) if idempotency_key else None
        charges = []
        for record in self.fake.transactions.values():
            if wanted is not None and record.txref != wanted:
                continue
            charges.append({
                "id": record.flwref,  # the charge's processor key in payproc
                "transaction_id": record.txid,
                "tx_ref": record.txref,
                "amount": from_major(record.amount, record.currency),
                "currency": record.currency.lower(),
                "status": record.status,
                "amount_refunded": from_major(record.refunded, record.currency),
                "refunds": list(record.refunds),
            })
        return charges

