"""The conformance suite's harness for the Paystack backend
(:class:`payproc.testing.harness.BackendHarness`).

It plays the browser (the token the processor's script would return), the
processor's webhook sender, and reads the fake server's state directly (the
backdoor the suite uses to check results independently).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

from fakeserver import FakeServer
from payproc.types import EventType, PaymentContext

from payproc_paystack import webhooks

__all__ = ["PaystackBackendHarness"]

API_KEY = "sk_test_paystack_harness"
WEBHOOK_SECRET = "whsec_paystack_harness"
TOKENS = {"success": "tok_visa", "decline": "tok_decline", "unknown": "tok_timeout"}


class PaystackBackendHarness:
    backend = "paystack"
    #: Exactly the hooks the backend implements (the suite checks it).
    capabilities = frozenset({
        "settings_model", "configure", "browser_integration", "get_payment_context", "create_payment",
        "retrieve_charge", "refund_charge", "charge_distribution", "parse_webhook",
    })
    currency = "usd"
    limitations: Mapping[str, str] = {}

    def __init__(self, server: FakeServer) -> None:
        self.server = server

    def processor_settings(self) -> Mapping[str, Any]:
        return {"BACKEND": self.backend, "API_BASE": self.server.url, "PUB_KEY": "pk_test_paystack",
                "PRIV_KEY": API_KEY, "WEBHOOK_SECRET": WEBHOOK_SECRET, "TIMEOUT": 5}

    def pay(
        self, context: PaymentContext, amount: int, currency: str, *, outcome: str = "success"
    ) -> tuple[str, Mapping[str, str]]:
        assert context.values.get("paystack_pub_key"), "the page has no public key to load the script with"
        return TOKENS[outcome], {}

    def card_token(self, *, outcome: str = "success") -> str:
        return TOKENS[outcome]

    def webhook(self, type: EventType, charge_processor_key: str, *, amount: int | None = None,
                currency: str | None = None, event_id: str | None = None, secret: str | None = None,
                timestamp: int | None = None) -> tuple[bytes, Mapping[str, str]]:
        created = int(time.time()) if timestamp is None else timestamp
        body = json.dumps({
            "id": event_id or f"evt_{uuid.uuid4().hex[:16]}", "type": type.value, "created": created,
            "data": {"charge": charge_processor_key, "amount": amount, "currency": currency},
        }).encode()
        signature = webhooks.sign(body, secret or WEBHOOK_SECRET, created)
        return body, {webhooks.SIGNATURE_HEADER: signature, "content-type": "application/json"}

    def processor_charges(self, idempotency_key: str | None = None) -> list[Mapping[str, Any]]:
        return [dict(c) for c in self.server.charges.values()
                if idempotency_key is None or c["idempotency_key"] == idempotency_key]
