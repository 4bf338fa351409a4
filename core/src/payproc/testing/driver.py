"""Drive the core's flows the way an application and its checkout page do,
and read results back independently (the ledger, the processor's backdoor).

The suite's tests use :class:`Driver` so that each one reads as the story it
checks: prepare a payment page, let the "browser" (the harness) obtain a
token, post it, look at the books.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from ..app import Payproc
from ..db.models import ChargeRow, LedgerRow
from ..settings import load_settings
from ..types import ChargeRef, PaymentContext

__all__ = ["Attempt", "Driver", "make_app", "secret_values"]

CUSTOMER = "xia"
PROVIDER = "cowork"
_SUCCEEDED = {"succeeded", "captured", "successful", "paid", "success"}
_SECRET_NAME = re.compile(r"SECRET|PRIV|PASSWORD|ENCRYPTION|API_KEY", re.IGNORECASE)


def make_app(harness: Any, tmp_path: Path, *, core: Mapping[str, Any] | None = None,
             **processor_overrides: Any) -> Payproc:
    """A Payproc on a fresh SQLite database in ``tmp_path``, talking to the
    harness's test server, with a customer and a provider. ``core`` sets
    other settings (``ABANDON_AFTER``…); on an existing database it is the
    same application restarted with them."""
    section = dict(harness.processor_settings())
    section.update(processor_overrides)
    section = {key: value for key, value in section.items() if value is not None}
    settings = load_settings(DATABASE_URL=f"sqlite:///{tmp_path / 'payproc.sqlite3'}", PROCESSOR=section,
                             **dict(core or {}))
    app = Payproc(settings)
    app.init_db()
    app.add_profile(CUSTOMER, "Xia Lee", "xia@example.com")
    app.add_profile(PROVIDER, "Cowork Inc.", "billing@cowork.example")
    provider_keys = getattr(harness, "provider_keys", None)
    if provider_keys is not None:
        app.set_processor_keys(PROVIDER, provider_keys())
    return app


def secret_values(app: Payproc, harness: Any) -> list[str]:
    """The secrets the backend was given: every ``SecretStr`` of its
    validated settings, and settings whose name says secret."""
    from pydantic import SecretStr

    found: set[str] = set()
    settings = app.backend.settings
    values = dict(settings)
    for value in values.values():
        if isinstance(value, SecretStr):
            found.add(value.get_secret_value())
    for name, value in harness.processor_settings().items():
        if isinstance(value, SecretStr):
            found.add(value.get_secret_value())
        elif isinstance(value, str) and _SECRET_NAME.search(name):
            found.add(value)
    return sorted(secret for secret in found if len(secret) >= 6)


@dataclass
class Attempt:
    """One payment as the checkout page posts it back."""

    amount: int
    currency: str
    token: str
    fields: Mapping[str, str]
    idempotency_key: str
    customer: str = CUSTOMER
    provider: str | None = None
    broker_fee_amount: int = 0
    context: PaymentContext = field(default_factory=lambda: PaymentContext(values={}))


class Driver:
    """The application and its checkout page, for one test."""

    def __init__(self, app: Payproc, harness: Any) -> None:
        self.app = app
        self.harness = harness
        self.currency: str = getattr(harness, "currency", "usd")

    # --- paying -------------------------------------------------------------

    def prepare(
        self, outcome: str = "success", amount: int = 2000, *, provider: str | None = None,
        broker_fee_amount: int = 0, customer: str = CUSTOMER,
    ) -> Attempt:
        """Render the payment page (``payment_context``) and let the browser
        get a token for ``outcome``."""
        prepared = self.app.payment_context(
            customer, amount, self.currency, provider=provider, broker_fee_amount=broker_fee_amount)
        assert prepared.idempotency_key, "a payment context for an amount must name its charge"
        charge = self.charge_by_key(prepared.idempotency_key)
        context = PaymentContext(prepared.values, prepared.token_field, charge.reference)
        token, fields = self.harness.pay(context, amount, self.currency, outcome=outcome)
        return Attempt(amount, self.currency, token, dict(fields), prepared.idempotency_key, customer,
                       provider, broker_fee_amount, context)

    def submit(self, attempt: Attempt, **options: Any) -> ChargeRow:
        """Post the checkout form."""
        return self.app.checkout(
            attempt.customer, attempt.amount, attempt.currency, attempt.token,
            idempotency_key=attempt.idempotency_key, browser_fields=attempt.fields,
            provider=attempt.provider, broker_fee_amount=attempt.broker_fee_amount, **options)

    def finish_pending(self, charge: ChargeRow) -> ChargeRow:
        """``charge`` once the processor has finished what it does later: a
        charge still in progress (Razorpay debits a card on file hours after
        the request) is completed by the harness's optional
        ``complete_pending()`` and settled; other charges are returned as
        they are."""
        complete = getattr(self.harness, "complete_pending", None)
        if charge.state != "created" or complete is None:
            return charge
        complete()
        self.app.settle()
        return self.app.get_charge(charge.id)

    def pay(self, outcome: str = "success", amount: int = 2000, **options: Any) -> ChargeRow:
        submit_options = {k: options.pop(k) for k in ("remember_card",) if k in options}
        return self.submit(self.prepare(outcome, amount, **options), **submit_options)

    # --- reading back -------------------------------------------------------

    def charge_by_key(self, idempotency_key: str) -> ChargeRow:
        with self.app.db.transaction() as session:
            charge = session.scalar(select(ChargeRow).where(ChargeRow.idempotency_key == idempotency_key))
            assert charge is not None, f"no charge recorded for {idempotency_key!r}"
            return charge

    def charge_ref(self, charge: ChargeRow) -> ChargeRef:
        """The snapshot the core hands the backend for ``charge``."""
        with self.app.db.transaction() as session:
            from ..db.models import Profile

            slugs = {pk: slug for pk, slug in session.execute(select(Profile.id, Profile.slug))}
        broker = self.app.party(self.app.settings.BROKER)
        return ChargeRef(
            processor_key=charge.processor_key, amount=charge.amount, currency=charge.currency,
            idempotency_key=charge.idempotency_key, created_at=charge.created_at,
            customer=self.app.party(slugs[charge.customer_id]), provider=self.app.party(slugs[charge.provider_id]),
            broker=broker, amount_refunded=charge.amount_refunded, broker_fee_amount=charge.broker_fee_amount,
            reference=charge.reference,
        )

    def ledger_rows(self, charge_id: int | None = None) -> int:
        """How many ledger rows there are (for one charge)."""
        with self.app.db.transaction() as session:
            query = select(func.count()).select_from(LedgerRow)
            if charge_id is not None:
                query = query.where(LedgerRow.charge_id == charge_id)
            return int(session.scalar(query) or 0)

    def balance(self, slug: str, account: str, currency: str | None = None) -> int:
        return self.app.balances().get((slug, account, currency or self.currency), 0)

    def assert_books_balance(self) -> None:
        report = self.app.check_books()
        assert report.balanced, f"the books do not balance: {report.problems}"

    def processor_charges(self, idempotency_key: str | None) -> list[Mapping[str, Any]]:
        """The backdoor's charges for ``idempotency_key`` (all of them for
        ``None``), with the keys the protocol promises."""
        charges = list(self.harness.processor_charges(idempotency_key))
        for charge in charges:
            missing = [key for key in ("id", "amount", "currency", "status", "amount_refunded") if key not in charge]
            assert not missing, f"harness.processor_charges() gives charges without {missing}: {charge!r}"
        return charges

    def succeeded_on_processor(self, idempotency_key: str | None) -> list[Mapping[str, Any]]:
        """Charges that took money (all of them for ``None``: count them
        around an operation to see how many charges it made)."""
        return [c for c in self.processor_charges(idempotency_key) if str(c["status"]).lower() in _SUCCEEDED]
