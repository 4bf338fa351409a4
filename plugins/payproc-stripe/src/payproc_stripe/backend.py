"""The Stripe backend: payproc's hooks, each delegated to a module with one job.

The class is what the core loads (entry point ``stripe``). It builds nothing
at construction; the Stripe client is made on first use from the validated
settings, one per instance.

Importing this module is cheap (``payproc backends`` imports it to read the
hookimpl markers): the settings model (pydantic), payproc's types and the
modules that do the work are imported by the methods that use them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from payproc import hookimpl
from payproc.errors import ConfigurationError

if TYPE_CHECKING:
    from payproc.types import (
        BankInfo,
        BrowserIntegration,
        CardInfo,
        CardUpdate,
        ChargeInfo,
        ChargeRef,
        CustomerRecord,
        Distribution,
        Party,
        PaymentContext,
        PaymentRequest,
        PaymentResult,
        ProcessorKeys,
        RefundInfo,
        RefundRef,
        RefundResult,
        TransferRecord,
        TransferRef,
        WebhookEvent,
    )
    from pydantic import BaseModel

    from .settings import StripeSettings

__all__ = ["StripeBackend"]


class StripeBackend:
    """Stripe, in LOCAL, FORWARD or REMOTE mode (``PROCESSOR.MODE``)."""

    name = "stripe"
    contract = ">=1.1,<2"
    #: Stripe signs every delivery (``Stripe-Signature``): no secret, no webhook.
    webhook_verification = "signed"
    unsupported: ClassVar[Mapping[str, str]] = {
        "capture_charge": "PaymentIntents are created with automatic capture: Stripe never holds an authorization "
        "for payproc to capture",
    }
    LOCAL, FORWARD, REMOTE = 0, 1, 2

    def __init__(self) -> None:
        self._settings: StripeSettings | None = None
        self._parts: dict[str, Any] = {}

    # --- set-up ------------------------------------------------------------

    @hookimpl
    def settings_model(self) -> type[BaseModel]:
        from .settings import StripeSettings

        return StripeSettings

    @hookimpl
    def configure(self, settings: StripeSettings) -> None:
        """``settings`` is the core's validated :class:`StripeSettings`."""
        self._settings = settings
        self._parts.clear()

    @property
    def settings(self) -> StripeSettings:
        if self._settings is None:
            raise ConfigurationError("the stripe backend was used before configure()")
        return self._settings

    def _part(self, name: str) -> Any:
        part = self._parts.get(name)
        if part is None:
            from . import api, cards, connect, payments, payouts, refunds, settling

            if "api" not in self._parts:
                self._parts["api"] = api.StripeApi(self.settings)
            shared = self._parts["api"]
            factories = {
                "api": lambda: shared,
                "payments": lambda: payments.Payments(shared),
                "settling": lambda: settling.Settling(shared),
                "refunds": lambda: refunds.Refunds(shared),
                "cards": lambda: cards.Cards(shared),
                "payouts": lambda: payouts.Payouts(shared),
                "connect": lambda: connect.Connect(shared),
            }
            part = self._parts[name] = factories[name]()
        return part

    @hookimpl
    def browser_integration(self) -> BrowserIntegration:
        from payproc.types import BrowserIntegration

        return BrowserIntegration(
            token_field="stripeToken",
            script_urls=("https://js.stripe.com/v3/",),
            notes="Confirm STRIPE_INTENT_SECRET with Stripe.js (on STRIPE_ACCOUNT when given), then post the intent id.",
        )

    def describe(self) -> Sequence[str]:
        """What ``payproc check`` prints about this configuration (no secrets)."""
        from .settings import API_VERSION

        version = self.settings.API_VERSION
        note = "" if version == API_VERSION else f" (not {API_VERSION}, the version payproc-stripe is tested against)"
        return (
            f"Stripe API version: {version}{note}",
            f"mode: {self.settings.MODE.name}" + (", platform keys" if self.settings.USE_PLATFORM_KEYS else ""),
        )

    # --- payments ----------------------------------------------------------

    @hookimpl
    def get_payment_context(
        self,
        subscriber: Party,
        amount: int | None,
        currency: str | None,
        provider: Party,
        broker: Party,
        broker_fee_amount: int,
        idempotency_key: str | None,
        return_url: str | None,
    ) -> PaymentContext:
        return self._part("payments").payment_context(
            subscriber, amount, currency, provider, broker, broker_fee_amount, idempotency_key, return_url
        )

    @hookimpl
    def create_payment(self, request: PaymentRequest, reference: str | None) -> PaymentResult:
        return self._part("payments").create_payment(request, reference)

    @hookimpl
    def create_charge(self, request: PaymentRequest) -> PaymentResult:
        return self._part("payments").create_charge(request)

    @hookimpl
    def retrieve_charge(self, charge: ChargeRef) -> ChargeInfo:
        return self._part("settling").retrieve_charge(charge)

    @hookimpl
    def complete_payment(self, charge: ChargeRef, params: Mapping[str, str]) -> PaymentResult:
        return self._part("settling").complete_payment(charge, params)

    @hookimpl
    def cancel_payment(self, charge: ChargeRef) -> ChargeInfo:
        return self._part("settling").cancel_payment(charge)

    @hookimpl
    def list_payments(self, since: datetime, until: datetime) -> Sequence[ChargeInfo]:
        """PaymentIntents on the platform's account (direct charges on connected accounts are not listed)."""
        from .routing import Route

        return self._part("settling").list_payments(Route(), since, until)

    @hookimpl
    def minimum_amount(self, currency: str) -> int:
        from .amounts import minimum_charge

        return minimum_charge(currency)

    @hookimpl
    def retrieve_refund(self, refund: RefundRef) -> RefundInfo:
        return self._part("refunds").retrieve_refund(refund)

    @hookimpl
    def refund_charge(self, charge: ChargeRef, amount: int, broker_amount: int, idempotency_key: str) -> RefundResult:
        return self._part("refunds").refund_charge(charge, amount, broker_amount, idempotency_key)

    @hookimpl
    def charge_distribution(self, charge: ChargeRef, refunded: int, broker_fee_amount: int) -> Distribution:
        from .distribution import charge_distribution

        return charge_distribution(self._part("api"), charge, refunded, broker_fee_amount)

    @hookimpl
    def dispute_fee(self, amount: int, currency: str) -> int:
        return self.settings.DISPUTE_FEE

    @hookimpl
    def prorate_transfer(self, amount: int, provider: Party) -> int:
        return 0

    # --- cards -------------------------------------------------------------

    @hookimpl
    def create_or_update_card(self, subscriber: Party, token: str, provider: Party, broker: Party) -> CardUpdate:
        return self._part("cards").create_or_update(subscriber, token, provider, broker)

    @hookimpl
    def delete_card(self, subscriber: Party, broker: Party) -> None:
        self._part("cards").delete(subscriber, broker)

    @hookimpl
    def retrieve_card(self, subscriber: Party, broker: Party) -> CardInfo | None:
        return self._part("cards").retrieve(subscriber, broker)

    @hookimpl
    def list_customers(self, pattern: str, broker: Party) -> Sequence[CustomerRecord]:
        return self._part("cards").list_customers(pattern, broker)

    # --- payouts and Connect -----------------------------------------------

    @hookimpl
    def create_transfer(
        self, provider: Party, amount: int, currency: str, descr: str | None, idempotency_key: str
    ) -> TransferRecord:
        return self._part("payouts").create_transfer(provider, amount, currency, descr, idempotency_key)

    @hookimpl
    def retrieve_transfer(self, transfer: TransferRef) -> TransferRecord | None:
        return self._part("payouts").retrieve_transfer(transfer)

    @hookimpl
    def reconcile_transfers(self, provider: Party, since: datetime, limit_to_one_request: bool) -> Sequence[TransferRecord]:
        return self._part("payouts").reconcile(provider, since, limit_to_one_request)

    @hookimpl
    def retrieve_bank(self, provider: Party, broker: Party, includes_balance: bool) -> BankInfo:
        return self._part("payouts").retrieve_bank(provider, broker, includes_balance)

    @hookimpl
    def update_bank(self, provider: Party, bank_token: str) -> BankInfo:
        return self._part("payouts").update_bank(provider, bank_token)

    @hookimpl
    def get_deposit_context(self, provider: Party) -> Mapping[str, Any]:
        return {"STRIPE_PUB_KEY": self.settings.PUB_KEY, "STRIPE_CLIENT_ID": self.settings.CLIENT_ID}

    @hookimpl
    def connect_auth(self, provider: Party, code: str) -> ProcessorKeys:
        return self._part("connect").connect_auth(provider, code)

    @hookimpl
    def get_authorize_url(self, provider: Party, state: str, redirect_uri: str | None) -> str:
        return self._part("connect").authorize_url(provider, state, redirect_uri)

    @hookimpl
    def get_deauthorize_url(self, provider: Party) -> str:
        return self._part("connect").deauthorize_url(provider)

    def deauthorize(self, provider: Party) -> None:
        """Disconnect ``provider``'s account (``POST /oauth/deauthorize``)."""
        self._part("connect").deauthorize(provider)

    # --- webhooks ----------------------------------------------------------

    @hookimpl
    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        from .webhooks import parse_event, verify

        lowered = {key.lower(): value for key, value in headers.items()}
        verify(body, lowered, self.settings.webhook_secrets(), self.settings.WEBHOOK_TOLERANCE)
        event = parse_event(body)
        if event.type.value == "charge.refunded" and event.refund_processor_key is None and event.amount:
            # Name the refund (Stripe's event does not), so the core books each refund once.
            import dataclasses
            import json

            account = json.loads(body).get("account")
            refund = self._part("refunds").refund_behind(
                event.charge_processor_key, account, event.amount, event.currency,
                int(event.created_at.timestamp()) + 1,
            )
            event = dataclasses.replace(event, refund_processor_key=refund)
        return event
