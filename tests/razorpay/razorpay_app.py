"""A Payproc application on the fake Razorpay, for tests through the core's
public API (loaded by ``conftest.py`` under this unique name)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from payproc.app import Payproc
from payproc.settings import load_settings
from payproc.types import ProcessorKeys

__all__ = ["CUSTOMER", "PHONE", "PROVIDER_SLUG", "Shop"]

CUSTOMER = "asha"
PROVIDER_SLUG = "cowork"
PHONE = "+919876543210"


class Shop:
    """The application (``app``), Razorpay's side (``harness``) and the
    webhooks Razorpay sent that the application has not been given yet."""

    def __init__(self, harness: Any, tmp_path: Path, database_url: str | None = None,
                 overrides: dict[str, Any] | None = None) -> None:
        section = {k: v for k, v in {**harness.processor_settings(), **(overrides or {})}.items() if v is not None}
        url = database_url or f"sqlite:///{tmp_path / 'shop.sqlite3'}"
        self.app = Payproc(load_settings(DATABASE_URL=url, PROCESSOR=section))
        self.app.init_db()
        self.app.add_profile(CUSTOMER, "Asha Rao", "asha@example.com", phone=PHONE)
        self.app.add_profile(PROVIDER_SLUG, "Cowork Pvt Ltd", "billing@cowork.example")
        self.app.set_processor_keys(PROVIDER_SLUG, ProcessorKeys(deposit_key="acc_Provider000001"))
        self.harness = harness
        self._delivered = 0

    def deliver(self, *events: str) -> list[Any]:
        """Hand the application every webhook Razorpay sent since the last
        call (only those named ``events`` when given), in order."""
        sent = self.harness.deliveries()
        new, self._delivered = sent[self._delivered:], len(sent)
        outcomes = []
        for body, headers in new:
            name = json.loads(body)["event"]
            if not events or name in events:
                outcomes.append(self.app.handle_webhook(body, headers))
        return outcomes

    def skip_deliveries(self) -> None:
        """Forget the webhooks sent so far (they are not what a test is about)."""
        self._delivered = len(self.harness.deliveries())

    def card_payment(self, customer: str = CUSTOMER, **card: Any) -> str:
        """Render ``customer``'s card-update page and let Checkout pay it:
        the payment id the page posts to ``api/card``."""
        from payproc.types import PaymentContext

        prepared = self.app.payment_context(customer)
        return str(self.harness.card_payment(PaymentContext(prepared.values, prepared.token_field, None), card=card))

    def save_card(self, customer: str = CUSTOMER, **card: Any) -> Any:
        return self.app.update_card(customer, self.card_payment(customer, **card))

    def pay_page(self, amount: int, customer: str = CUSTOMER, **pay: Any) -> tuple[str, str, dict[str, str]]:
        """Render the payment page and let Checkout pay it: (idempotency
        key, razorpay_payment_id, the handler's other fields)."""
        from payproc.types import PaymentContext

        prepared = self.app.payment_context(customer, amount, "inr", provider=PROVIDER_SLUG)
        charge = next(c for c in self.app.list_charges() if c.idempotency_key == prepared.idempotency_key)
        context = PaymentContext(prepared.values, prepared.token_field, charge.reference)
        token, fields = self.harness.pay(context, amount, "inr", **pay)
        return str(prepared.idempotency_key), token, dict(fields)

    def settle(self) -> list[Any]:
        """``Payproc.settle()``'s changed charges (a list, or a report's)."""
        result = self.app.settle()
        return list(getattr(result, "charges", result))

    def charge(self, key: str) -> Any:
        return next(c for c in self.app.list_charges() if c.idempotency_key == key)
