"""The Paystack backend: payproc's hooks, written against :mod:`.client`.

Paystack's flow is server-first: ``get_payment_context`` initializes a
transaction whose ``reference`` is the charge's idempotency key and gives the
browser its ``access_code``; the Popup script collects the card and hands
the reference back; ``create_payment`` verifies the transaction *by the
reference the core stored* (never the browser's word alone). A verified
``failed`` transaction is a decline. Because the reference is the
idempotency key, ``retrieve_charge`` can always find a charge whose answer
was lost.

Written: settings, the browser integration, the payment context, payments,
retrieving a charge, refunds, the charge's distribution and webhooks. Every
other hook is documented at the end of the class and listed in
``unsupported`` with the reason.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, ClassVar

from payproc import hookimpl
from payproc.errors import CardError, ProcessorError
from payproc.types import (
    BrowserIntegration,
    ChargeInfo,
    ChargeRef,
    ChargeStatus,
    Distribution,
    Party,
    PaymentContext,
    PaymentRequest,
    PaymentResult,
    Receipt,
    RefundResult,
    WebhookEvent,
)
from pydantic import BaseModel

from . import webhooks
from .client import Client, NotFound
from .settings import PaystackBackendSettings

__all__ = ["PaystackBackend"]

#: The checkout form field that carries the Popup's answer: the reference.
TOKEN_FIELD = "paystack_reference"
#: Paystack's local card fee: 1.5 % plus NGN 100 from NGN 2,500, capped at NGN 2,000.
FEE_BPS, FEE_FIXED, FEE_FIXED_FROM, FEE_CAP = 150, 100_00, 2_500_00, 2_000_00
_STATUSES = {"success": ChargeStatus.SUCCEEDED, "failed": ChargeStatus.FAILED, "reversed": ChargeStatus.FAILED}


def _time(value: Any) -> datetime:
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
    return datetime.now(timezone.utc)


def _receipt(transaction: dict[str, Any]) -> Receipt:
    card = transaction.get("authorization") or {}
    expires = None
    if str(card.get("exp_year", "")).isdigit() and str(card.get("exp_month", "")).isdigit():
        expires = date(int(card["exp_year"]), int(card["exp_month"]), 1)
    return Receipt(last4=card.get("last4"), exp_date=expires, brand=card.get("brand") or card.get("card_type"),
                   card_name=card.get("account_name"))


class PaystackBackend:
    """payproc backend for Paystack (entry point ``paystack``)."""

    name = "paystack"
    contract = ">=1.0,<2"
    experimental = True
    unsupported: ClassVar[dict[str, str]] = {
        "create_charge": "charging a saved authorization_code is not written yet",
        "dispute_fee": "Paystack charges no fixed dispute fee",
        "prorate_transfer": "not written yet",
        "create_or_update_card": "Paystack saves a card only by charging it (authorization_code); not written yet",
        "delete_card": "not written yet (POST /customer/deactivate_authorization)",
        "retrieve_card": "not written yet",
        "create_transfer": "transfers need a transfer recipient per provider; not written yet",
        "reconcile_transfers": "not written yet",
        "retrieve_bank": "not written yet",
        "update_bank": "not written yet",
        "get_deposit_context": "not written yet",
        "connect_auth": "Paystack has no OAuth connection of accounts",
        "get_authorize_url": "Paystack has no OAuth connection of accounts",
        "get_deauthorize_url": "Paystack has no OAuth connection of accounts",
        "list_customers": "not written yet",
    }

    def __init__(self) -> None:
        self.settings: PaystackBackendSettings | None = None
        self._client: Client | None = None

    def __repr__(self) -> str:
        return "<PaystackBackend>"

    @property
    def client(self) -> Client:
        if self._client is None:
            assert self.settings is not None, "configure() was not called"
            self._client = Client(self.settings)
        return self._client

    # --- set-up -----------------------------------------------------------------

    @hookimpl
    def settings_model(self) -> type[BaseModel]:
        """The model that validates the PROCESSOR section."""
        return PaystackBackendSettings

    @hookimpl
    def configure(self, settings: PaystackBackendSettings) -> None:
        """Keep the settings the core validated with :meth:`settings_model`;
        the HTTP client is built on first use."""
        self.settings, self._client = settings, None

    @hookimpl
    def browser_integration(self) -> BrowserIntegration:
        """The Popup script, and the field the reference comes back in."""
        return BrowserIntegration(token_field=TOKEN_FIELD, script_urls=("https://js.paystack.co/v2/inline.js",),
                                  notes="resumeTransaction(access_code); post the reference on success")

    # --- payments ---------------------------------------------------------------

    @hookimpl
    def get_payment_context(
        self, subscriber: Party, amount: int | None, currency: str | None, provider: Party,
        idempotency_key: str | None,
    ) -> PaymentContext:
        """Initialize the transaction (reference = the charge's idempotency
        key, so a reloaded page reuses it) and give the Popup its access code."""
        assert self.settings is not None
        values: dict[str, Any] = {"paystack_pub_key": self.settings.PUB_KEY}
        if amount is None or idempotency_key is None:
            return PaymentContext(values=values, token_field=TOKEN_FIELD)
        started = self.client.request(
            "POST", "/transaction/initialize", account_owner=provider.slug,
            json={"email": subscriber.email or f"{subscriber.slug}@invalid.example", "amount": amount,
                  "currency": (currency or "").upper(), "reference": idempotency_key})
        values.update(access_code=started["access_code"], amount=amount, currency=currency)
        return PaymentContext(values=values, token_field=TOKEN_FIELD, reference=started["reference"])

    def _verify(self, reference: str, owner: str | None) -> dict[str, Any]:
        return self.client.request("GET", f"/transaction/verify/{reference}", account_owner=owner)

    @hookimpl
    def create_payment(self, request: PaymentRequest, reference: str | None) -> PaymentResult:
        """Verify the transaction the browser paid; a failed one is a decline."""
        if not reference or request.token != reference:
            raise ProcessorError("the reference posted by the browser is not the one this charge initialized")
        found = self._verify(reference, request.provider.slug)
        status = _STATUSES.get(str(found.get("status")), ChargeStatus.PENDING)
        if status == ChargeStatus.FAILED:
            raise CardError(str(found.get("gateway_response") or "Declined"), "declined",
                            charge_processor_key=str(found["id"]))
        return PaymentResult(
            processor_key=str(found["id"]), amount=int(found["amount"]), currency=str(found["currency"]).lower(),
            created_at=_time(found.get("paid_at") or found.get("created_at")), status=status,
            receipt=_receipt(found))

    @hookimpl
    def retrieve_charge(self, charge: ChargeRef) -> ChargeInfo:
        """Verify by reference (the idempotency key): works even when the
        answer to the first call was lost."""
        try:
            found = self._verify(charge.idempotency_key, charge.provider.slug)
        except NotFound:
            return ChargeInfo(processor_key=charge.processor_key, status=ChargeStatus.NOT_FOUND)
        status = _STATUSES.get(str(found.get("status")), ChargeStatus.PENDING)
        return ChargeInfo(
            processor_key=str(found["id"]), status=status, amount=int(found["amount"]),
            currency=str(found["currency"]).lower(), amount_refunded=int(found.get("amount_refunded") or 0),
            created_at=_time(found.get("paid_at")), receipt=_receipt(found),
            failure_code="declined" if status == ChargeStatus.FAILED else None,
            failure_message=found.get("gateway_response"))

    @hookimpl
    def refund_charge(self, charge: ChargeRef, amount: int) -> RefundResult:
        """Refund ``amount`` of the transaction (the core checked it is no
        more than what is left). Paystack takes no idempotency key here: the
        core records the refund as pending before this call."""
        refund = self.client.request("POST", "/refund", account_owner=charge.provider.slug,
                                     json={"transaction": charge.idempotency_key, "amount": amount})
        return RefundResult(processor_key=str(refund["id"]), amount=int(refund["amount"]),
                            currency=str(refund["currency"]).lower(), created_at=_time(refund.get("createdAt")))

    @hookimpl
    def charge_distribution(self, charge: ChargeRef, refunded: int, broker_fee_amount: int) -> Distribution:
        """Split what is left after ``refunded``: provider, Paystack's fee,
        broker fee (they add up to ``charge.amount - refunded``)."""
        left = charge.amount - refunded
        fee = 0
        if left > 0:
            fee = (left * FEE_BPS + 5000) // 10000 + (FEE_FIXED if left >= FEE_FIXED_FROM else 0)
            fee = min(fee, FEE_CAP, left)
        broker = broker_fee_amount * left // charge.amount if charge.amount else 0
        unit = charge.currency
        return Distribution(left - fee - broker, unit, fee, unit, broker, unit)

    # --- webhooks ---------------------------------------------------------------

    @hookimpl
    def parse_webhook(self, body: bytes, headers: Any) -> WebhookEvent:
        """Verify the callback (HMAC-SHA512 of the raw body) and normalize it."""
        assert self.settings is not None
        return webhooks.parse(body, headers, self.settings.WEBHOOK_SECRET)

    # --- not written yet ----------------------------------------------------------
    # Each hook below is part of the contract (payproc.hookspecs). To write
    # one: uncomment it, add @hookimpl, remove it from `unsupported`, add it
    # to the harness's capabilities and run the conformance suite.
    # @hookimpl
    # def create_charge(self, request: PaymentRequest) -> PaymentResult:
    #     """Charge the card on file, ``request.customer.keys.card_key``, off-session
    #     (renewals, one-click). Send ``request.idempotency_key`` to the processor.
    #     """

    # @hookimpl
    # def dispute_fee(self, amount: int, currency: str) -> int:
    #     """The processor's fee for a dispute on a charge of ``amount``.
    #     """

    # @hookimpl
    # def prorate_transfer(self, amount: int, provider: Party) -> int:
    #     """The processor's fee for paying out ``amount`` to ``provider``.
    #     """

    # @hookimpl
    # def create_or_update_card(
    #         self,
    #         subscriber: Party,
    #         token: str,
    #         provider: Party,
    #         broker: Party,
    # ) -> CardUpdate:
    #     """Store the card behind ``token`` as ``subscriber``'s card on file and
    #     return the key to keep (a customer id) with the card's details.
    #     """

    # @hookimpl
    # def delete_card(self, subscriber: Party, broker: Party) -> None:
    #     """Forget ``subscriber``'s card on file on the processor.
    #     """

    # @hookimpl
    # def retrieve_card(self, subscriber: Party, broker: Party) -> CardInfo | None:
    #     """Return ``subscriber``'s card on file, or ``None`` when there is none.
    #     """

    # @hookimpl
    # def create_transfer(
    #         self,
    #         provider: Party,
    #         amount: int,
    #         currency: str,
    #         descr: str | None,
    #         idempotency_key: str,
    # ) -> TransferRecord:
    #     """Pay ``amount`` out to ``provider``'s bank account.
    #     """

    # @hookimpl
    # def reconcile_transfers(
    #         self,
    #         provider: Party,
    #         since: datetime,
    #         limit_to_one_request: bool,
    # ) -> Sequence[TransferRecord]:
    #     """Return the payouts to ``provider`` made since ``since``, oldest first.
    #     Page through all of them unless ``limit_to_one_request``.
    #     """

    # @hookimpl
    # def retrieve_bank(self, provider: Party, broker: Party, includes_balance: bool) -> BankInfo:
    #     """Describe ``provider``'s deposit account (and its balance).
    #     """

    # @hookimpl
    # def update_bank(self, provider: Party, bank_token: str) -> BankInfo:
    #     """Attach the bank account behind ``bank_token`` to ``provider``.
    #     """

    # @hookimpl
    # def get_deposit_context(self, provider: Party) -> Mapping[str, Any]:
    #     """What the browser needs to connect ``provider``'s deposit account.
    #     """

    # @hookimpl
    # def connect_auth(self, provider: Party, code: str) -> ProcessorKeys:
    #     """Exchange an OAuth ``code`` for ``provider``'s connected-account keys.
    #     """

    # @hookimpl
    # def get_authorize_url(self, provider: Party, state: str, redirect_uri: str | None) -> str:
    #     """The URL that starts connecting ``provider``'s account (OAuth).
    #     """

    # @hookimpl
    # def get_deauthorize_url(self, provider: Party) -> str:
    #     """The URL that disconnects ``provider``'s account.
    #     """

    # @hookimpl
    # def list_customers(self, pattern: str, broker: Party) -> Sequence[CustomerRecord]:
    #     """Customers on the processor whose description matches ``pattern``.
    #     """

