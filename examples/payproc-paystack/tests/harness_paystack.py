"""The conformance suite's harness for the Paystack backend
(:class:`payproc.testing.harness.BackendHarness`).

It plays the Popup in the browser (paying the initialized transaction on the
fake server), Paystack's webhook sender (HMAC-SHA512 with the secret key),
and reads the fake server's transactions directly (the suite's backdoor).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from fake_paystack import FakePaystack
from payproc.types import EventType, PaymentContext

from payproc_paystack import webhooks

__all__ = ["PaystackHarness"]

SECRET_KEY = "sk_test_paystack_harness_0123456789"
_EVENTS = {EventType.CHARGE_SUCCEEDED: "charge.success", EventType.DISPUTE_CREATED: "charge.dispute.create"}
_STATUSES = {"success": "succeeded", "failed": "failed"}


class PaystackHarness:
    backend = "paystack"
    #: Exactly the hooks the backend implements (the suite checks it).
    capabilities = frozenset({
        "settings_model", "configure", "browser_integration", "get_payment_context", "create_payment",
        "retrieve_charge", "refund_charge", "charge_distribution", "parse_webhook",
    })
    currency = "ngn"
    limitations: Mapping[str, str] = {"stale_webhook": "Paystack signs no timestamp"}

    def __init__(self, server: FakePaystack) -> None:
        self.server = server

    def processor_settings(self) -> Mapping[str, Any]:
        return {"BACKEND": self.backend, "API_BASE": self.server.url, "PUB_KEY": "pk_test_paystack_harness",
                "PRIV_KEY": SECRET_KEY, "WEBHOOK_SECRET": SECRET_KEY, "TIMEOUT": 5}

    def pay(
        self, context: PaymentContext, amount: int, currency: str, *, outcome: str = "success"
    ) -> tuple[str, Mapping[str, str]]:
        assert context.values.get("paystack_pub_key"), "the page has no public key for the Popup"
        access_code = context.values.get("access_code")
        assert access_code, "the payment context carries no access_code for the Popup"
        return self.server.pay(str(access_code), outcome), {}

    def card_token(self, *, outcome: str = "success") -> str:
        raise NotImplementedError("the Paystack backend stores no card on file")

    def webhook(self, type: EventType, charge_processor_key: str, *, amount: int | None = None,
                currency: str | None = None, event_id: str | None = None, secret: str | None = None,
                timestamp: int | None = None) -> tuple[bytes, Mapping[str, str]]:
        name = _EVENTS[type]
        data: dict[str, Any] = {"amount": amount, "currency": (currency or "ngn").upper(),
                                "paid_at": datetime.now(timezone.utc).isoformat()}
        if name == "charge.success":
            data.update(id=int(charge_processor_key), status="success")
        else:  # a dispute has its own id and names the transaction
            data.update(id=event_id or uuid.uuid4().hex[:12], transaction={"id": int(charge_processor_key)})
        body = json.dumps({"event": name, "data": data}).encode()
        signature = webhooks.sign(body, secret or SECRET_KEY)
        return body, {webhooks.SIGNATURE_HEADER: signature, "content-type": "application/json"}

    def processor_charges(self, idempotency_key: str | None = None) -> list[Mapping[str, Any]]:
        return [
            {**t, "id": str(t["id"]), "currency": t["currency"].lower(),
             "status": _STATUSES.get(t["status"], "pending"), "idempotency_key": t["reference"]}
            for t in self.server.transactions.values()
            if idempotency_key is None or t["reference"] == idempotency_key
        ]
