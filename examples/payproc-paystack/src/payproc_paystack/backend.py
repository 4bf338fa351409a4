"""The Paystack backend: payproc's hooks, written against :mod:`.client`.

Written so far (the conformance suite checks each one): settings, the browser
integration, the payment context, payments with a one-time token, retrieving
a charge (settles unknown outcomes), refunds, the charge's distribution and
webhooks. Every other hook of the contract is documented at the end of the
class, commented out, and listed in ``unsupported`` with the reason; write
one, remove it from ``unsupported``, add it to the harness's
``capabilities`` and run the suite.

Rules of the contract (``payproc.hookspecs``): amounts are integers in minor
units, currencies lower-case ISO 4217; pass ``request.idempotency_key`` to
the processor unchanged; never touch a database; never log a secret.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, ClassVar

from payproc import hookimpl
from payproc.types import (
    BrowserIntegration,
    ChargeInfo,
    ChargeRef,
    ChargeStatus,
    Distribution,
    PaymentContext,
    PaymentRequest,
    PaymentResult,
    Receipt,
    RefundResult,
    WebhookEvent,
)
from pydantic import BaseModel

from . import webhooks
from .client import Client
from .settings import PaystackBackendSettings

__all__ = ["PaystackBackend"]

#: The checkout form field that carries the token back.
TOKEN_FIELD = "paystack_token"
#: The processor's fee, in basis points plus a fixed part (placeholder).
FEE_BPS, FEE_FIXED = 290, 30
_STATUSES = {"succeeded": ChargeStatus.SUCCEEDED, "failed": ChargeStatus.FAILED, "pending": ChargeStatus.PENDING}


def _time(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value), timezone.utc) if value else datetime.now(timezone.utc)


def _receipt(charge: dict[str, Any]) -> Receipt:
    card = charge.get("card") or {}
    return Receipt(last4=card.get("last4"), brand=card.get("brand"), card_name=card.get("name"))


class PaystackBackend:
    """payproc backend for Paystack (entry point ``paystack``)."""

    name = "paystack"
    contract = ">=1.0,<2"
    experimental = True
    unsupported: ClassVar[dict[str, str]] = {
        "create_charge": "not written yet",
        "dispute_fee": "not written yet",
        "prorate_transfer": "not written yet",
        "create_or_update_card": "not written yet",
        "delete_card": "not written yet",
        "retrieve_card": "not written yet",
        "create_transfer": "not written yet",
        "reconcile_transfers": "not written yet",
        "retrieve_bank": "not written yet",
        "update_bank": "not written yet",
        "get_deposit_context": "not written yet",
        "connect_auth": "not written yet",
        "get_authorize_url": "not written yet",
        "get_deauthorize_url": "not written yet",
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
    def configure(self, settings: BaseModel) -> None:
        """Keep the validated settings; the HTTP client is built on first use."""
        assert isinstance(settings, PaystackBackendSettings)
        self.settings, self._client = settings, None

    @hookimpl
    def browser_integration(self) -> BrowserIntegration:
        """The form field of the token and the processor's script."""
        return BrowserIntegration(token_field=TOKEN_FIELD, script_urls=("https://js.paystack.example/v1.js",))

    # --- payments ---------------------------------------------------------------

    @hookimpl
    def get_payment_context(self, amount: int | None, currency: str | None) -> PaymentContext:
        """What the processor's script needs in the browser: the public key
        (never a secret) and, for a payment, the amount."""
        assert self.settings is not None
        values: dict[str, Any] = {"paystack_pub_key": self.settings.PUB_KEY}
        if amount is not None:
            values.update(amount=amount, currency=currency)
        return PaymentContext(values=values, token_field=TOKEN_FIELD)

    @hookimpl
    def create_payment(self, request: PaymentRequest) -> PaymentResult:
        """Charge the one-time token the browser obtained."""
        charge = self.client.request(
            "POST", "/v1/charges", idempotency_key=request.idempotency_key, account_owner=request.provider.slug,
            json={"amount": request.amount, "currency": request.currency, "token": request.token,
                  "description": request.descr or ""})
        return PaymentResult(
            processor_key=charge["id"], amount=int(charge["amount"]), currency=str(charge["currency"]).lower(),
            created_at=_time(charge.get("created")), status=_STATUSES.get(charge["status"], ChargeStatus.PENDING),
            receipt=_receipt(charge))

    @hookimpl
    def retrieve_charge(self, charge: ChargeRef) -> ChargeInfo:
        """The processor's view of a charge, by key or else by idempotency key
        (the answer to the first call may have been lost)."""
        if charge.processor_key:
            found = [self.client.request("GET", f"/v1/charges/{charge.processor_key}")]
        else:
            query = {"idempotency_key": charge.idempotency_key}
            found = self.client.request("GET", "/v1/charges", params=query)["data"]
        if not found:
            return ChargeInfo(processor_key=None, status=ChargeStatus.NOT_FOUND)
        item = found[0]
        return ChargeInfo(
            processor_key=item["id"], status=_STATUSES.get(item["status"], ChargeStatus.PENDING),
            amount=int(item["amount"]), currency=str(item["currency"]).lower(),
            amount_refunded=int(item.get("amount_refunded") or 0), created_at=_time(item.get("created")),
            receipt=_receipt(item), failure_code=item.get("failure_code"))

    @hookimpl
    def refund_charge(self, charge: ChargeRef, amount: int, idempotency_key: str) -> RefundResult:
        """Refund ``amount`` of the charge (the core checked it is no more than
        what is left)."""
        refund = self.client.request(
            "POST", f"/v1/charges/{charge.processor_key}/refunds", json={"amount": amount},
            idempotency_key=idempotency_key, account_owner=charge.provider.slug)
        return RefundResult(processor_key=refund["id"], amount=int(refund["amount"]),
                            currency=str(refund["currency"]).lower(), created_at=_time(refund.get("created")))

    @hookimpl
    def charge_distribution(self, charge: ChargeRef, refunded: int, broker_fee_amount: int) -> Distribution:
        """Split what is left after ``refunded``: provider, processor fee,
        broker fee (the three add up to ``charge.amount - refunded``)."""
        left = charge.amount - refunded
        fee = (left * FEE_BPS + 5000) // 10000 + FEE_FIXED if left > 0 else 0
        broker = broker_fee_amount * left // charge.amount if charge.amount else 0
        unit = charge.currency
        return Distribution(left - fee - broker, unit, fee, unit, broker, unit)

    # --- webhooks ---------------------------------------------------------------

    @hookimpl
    def parse_webhook(self, body: bytes, headers: Any) -> WebhookEvent:
        """Verify the callback over the raw body and normalize it."""
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

