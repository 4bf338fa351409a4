"""The payproc runtime: settings, the database and the selected backend, and
the flows as methods.

    app = Payproc()                     # settings from the environment
    app.init_db()
    app.add_profile("acme", "Acme Inc.")
    prepared = app.payment_context("acme", 2000, "usd")
    charge = app.checkout("acme", 2000, "usd", token, idempotency_key=prepared.idempotency_key)
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from . import renewal_plan
from .backend import Backend, load_backend
from .db import ChargeRow, Database, Profile
from .flows import actions, cards, reconcile, refunds, transfers, webhooks
from .flows import settle as settle_flow
from .flows import checkout as checkout_flow
from .flows import _common as common
from .flows._common import to_party
from .ledger import BooksReport, balances, check_books
from .phone import normalize_phone
from .renewal_plan import Renewal
from .settings import Settings, load_settings
from .types import BankInfo, CardInfo, Party, ProcessorKeys, TransferRecord

__all__ = ["Payproc"]

PROCESSOR_SLUG = "processor"


class Payproc:
    """One application's payments: ``settings``, its database and its
    backend (loaded on first use, so creating a Payproc is cheap)."""

    def __init__(self, settings: Settings | None = None, *, database: Database | None = None,
                 backend: Backend | None = None, **overrides: Any) -> None:
        self.settings = settings if settings is not None else load_settings(**overrides)
        self.db = database if database is not None else Database(self.settings.DATABASE_URL)
        if backend is not None:
            self.__dict__["backend"] = backend

    def __repr__(self) -> str:
        return f"<Payproc backend={self.settings.PROCESSOR.BACKEND!r} db={self.db!r}>"

    @functools.cached_property
    def backend(self) -> Backend:
        return load_backend(self.settings.PROCESSOR)

    # --- profiles -----------------------------------------------------------

    def init_db(self) -> None:
        """Bring the database to the installed code's schema (Alembic: creates
        it, or upgrades one an older payproc made, 0.1 included), then create
        the processor profile (``PROCESSOR_ID``) and the broker profile
        (``BROKER``). Safe to run again."""
        self.db.upgrade()
        with self.db.transaction() as session:
            processor = session.get(Profile, self.settings.PROCESSOR_ID)
            if processor is None:
                self.db.ensure_profile(session, PROCESSOR_SLUG, pk=self.settings.PROCESSOR_ID,
                                       printable_name="Payment processor")
            self.db.ensure_profile(session, self.settings.BROKER, printable_name=self.settings.BROKER.title())
        self.__dict__.pop("_broker_id", None)

    def add_profile(self, slug: str, printable_name: str = "", email: str | None = None,
                    phone: str | None = None) -> Party:
        """Create (or return) the profile ``slug``. ``phone`` (E.164) is
        needed by processors that require a contact for recurring payments;
        an existing profile keeps its details except a phone given here."""
        number = normalize_phone(phone) if phone is not None else None
        with self.db.transaction() as session:
            profile = self.db.ensure_profile(session, slug, printable_name=printable_name or slug, email=email)
            if number is not None and profile.phone != number:
                profile.phone = number
            return to_party(profile)

    def set_phone(self, slug: str, phone: str | None) -> Party:
        """Set (or, with ``None``, clear) the E.164 phone of profile ``slug``."""
        number = normalize_phone(phone) if phone is not None else None
        with self.db.transaction() as session:
            profile = session.scalar(select(Profile).where(Profile.slug == slug))
            if profile is None:
                raise LookupError(f"no profile {slug!r}")
            profile.phone = number
            return to_party(profile, is_broker=slug == self.settings.BROKER)

    def party(self, slug: str) -> Party:
        with self.db.reading() as session:
            profile = session.scalar(select(Profile).where(Profile.slug == slug))
            if profile is None:
                raise LookupError(f"no profile {slug!r}")
            return to_party(profile, is_broker=slug == self.settings.BROKER)

    def broker_id(self, session: Any) -> int:
        cached: int | None = self.__dict__.get("_broker_id")
        if cached is None:
            cached = session.scalar(select(Profile.id).where(Profile.slug == self.settings.BROKER))
            if cached is None:
                raise LookupError(f"no broker profile {self.settings.BROKER!r}: run init_db() first")
            self.__dict__["_broker_id"] = cached
        return cached

    def set_processor_keys(self, slug: str, keys: ProcessorKeys) -> None:
        with self.db.transaction() as session:
            session.execute(update(Profile).where(Profile.slug == slug).values(
                processor_card_key=keys.card_key, processor_deposit_key=keys.deposit_key,
                processor_pub_key=keys.pub_key,
                processor_priv_key=keys.priv_key.get_secret_value() if keys.priv_key else None,
                processor_refresh_token=keys.refresh_token.get_secret_value() if keys.refresh_token else None,
            ))

    def clear_processor_keys(self, slug: str | None) -> None:
        """Forget a provider's connected-account keys (revoked access)."""
        common.clear_processor_keys(self, slug)

    # --- charges ------------------------------------------------------------

    def get_charge(self, charge_id: int) -> ChargeRow:
        """The charge ``charge_id`` as stored now (``LookupError`` if none)."""
        return common.read_charge(self, charge_id)

    def list_charges(self, *, state: str | None = None, limit: int = 100) -> Sequence[ChargeRow]:
        with self.db.reading() as session:
            query = select(ChargeRow).order_by(ChargeRow.id.desc()).limit(limit)
            if state is not None:
                query = query.where(ChargeRow.state == state)
            return session.scalars(query).all()

    def payment_context(self, customer: str, amount: int | None = None, currency: str | None = None,
                        **options: Any) -> checkout_flow.PreparedPayment:
        """What the browser needs to pay (see :func:`payproc.flows.checkout.payment_context`)."""
        return checkout_flow.payment_context(self, customer, amount, currency, **options)

    def checkout(self, customer: str, amount: int, currency: str, token: str | None = None,
                 **options: Any) -> ChargeRow:
        """Charge ``customer`` (see :func:`payproc.flows.checkout.checkout`)."""
        return checkout_flow.checkout(self, customer, amount, currency, token, **options)

    def complete(self, charge: int | str, params: Mapping[str, Any] | None = None, *,
                 customer: str | None = None) -> ChargeRow:
        """Finish a payment the customer acted on (3-D Secure, a redirect):
        ``charge`` is its id or idempotency key, ``params`` what the return
        carried (see :func:`payproc.flows.actions.complete`)."""
        return actions.complete(self, charge, params, customer=customer)

    def settle(self, *, customer: str | None = None, older_than: timedelta = timedelta(0)) -> settle_flow.SettleReport:
        """Settle the charges, refunds and payouts whose outcome is unknown
        by asking the processor (see :func:`payproc.flows.settle.settle`)."""
        return settle_flow.settle(self, customer=customer, older_than=older_than)

    def reconcile(self, since: datetime, until: datetime) -> reconcile.ReconcileReport:
        """Compare the charges and refunds of ``[since, until)`` with the
        processor's (see :func:`payproc.flows.reconcile.reconcile`)."""
        return reconcile.reconcile(self, since, until)

    def refund(self, charge_id: int, amount: int | None = None, *, idempotency_key: str | None = None) -> Any:
        return refunds.refund(self, charge_id, amount, idempotency_key=idempotency_key)

    def handle_webhook(self, body: bytes, headers: Mapping[str, str]) -> webhooks.WebhookOutcome:
        return webhooks.handle_webhook(self, body, headers)

    # --- cards ------------------------------------------------------------------

    def update_card(self, customer: str, token: str, *, provider: str | None = None) -> CardInfo:
        return cards.update_card(self, customer, token, provider=provider)

    def delete_card(self, customer: str) -> None:
        cards.delete_card(self, customer)

    def retrieve_card(self, customer: str) -> CardInfo | None:
        return cards.retrieve_card(self, customer)

    # --- renewals ---------------------------------------------------------------

    def set_renewal(self, customer: str, amount: int, currency: str, due: date) -> Renewal:
        """Charge ``customer`` ``amount`` (minor units) ``currency`` on the card
        on file on ``due`` and monthly after (``payproc renewals`` runs them)."""
        return renewal_plan.set_renewal(self, customer, amount, currency, due)

    def renewal(self, customer: str) -> Renewal | None:
        """``customer``'s renewal, or ``None``."""
        return renewal_plan.get_renewal(self, customer)

    def cancel_renewal(self, customer: str) -> Renewal | None:
        """Stop renewing ``customer``; returns the renewal that was set."""
        return renewal_plan.cancel_renewal(self, customer)

    # --- payouts ----------------------------------------------------------------

    def create_transfer(self, provider: str, amount: int, currency: str, descr: str | None = None,
                        *, idempotency_key: str | None = None) -> TransferRecord:
        """Pay ``amount`` of ``provider``'s funds out; ``idempotency_key``
        names the payout so a retry never pays twice (see
        :func:`payproc.flows.transfers.create_transfer`)."""
        return transfers.create_transfer(self, provider, amount, currency, descr, idempotency_key=idempotency_key)

    def reconcile_transfers(self, provider: str) -> list[TransferRecord]:
        return transfers.reconcile_transfers(self, provider)

    def retrieve_bank(self, provider: str) -> BankInfo:
        return transfers.retrieve_bank(self, provider)

    def connect_auth(self, provider: str, code: str) -> None:
        """Store the connected-account keys an OAuth ``code`` grants."""
        keys = self.backend.call("connect_auth", provider=self.party(provider), code=code)
        self.set_processor_keys(provider, keys)

    # --- books ------------------------------------------------------------------

    def check_books(self) -> BooksReport:
        with self.db.reading() as session:
            return check_books(session)

    def balances(self) -> dict[tuple[str, str, str], int]:
        with self.db.reading() as session:
            return balances(session)

