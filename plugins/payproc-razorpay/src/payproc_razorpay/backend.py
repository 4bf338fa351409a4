"""The Razorpay backend: payproc's hooks on top of Razorpay's API.

Flows and the Razorpay calls they make:

* ``get_payment_context`` — ``GET /v1/orders?receipt=`` then, if none,
  ``POST /v1/orders`` (receipt from the idempotency key). For a card update:
  ``POST /v1/customers`` (or ``GET`` the known one) and an authorization order
  with ``customer_id`` and a recurring ``token`` block.
* ``create_payment`` — checks ``razorpay_signature`` over the stored order id,
  ``GET /v1/payments/{id}?expand[]=card``, ``POST …/capture``.
* ``create_charge`` — ``GET /v1/customers/{id}``, ``GET …/tokens``, the
  charge's order, ``POST /v1/payments/create/recurring``, capture.
* ``retrieve_charge`` — ``GET /v1/payments/{id}``, or the charge's order
  (``GET /v1/orders/{id}`` of the stored reference; by receipt when none is
  stored) and ``GET /v1/orders/{id}/payments``; a late authorization of our
  order is captured.
* ``refund_charge`` — ``GET /v1/payments/{id}/refunds`` (a refund with our
  receipt is reused), ``POST /v1/payments/{id}/refund``.
* ``charge_distribution`` — ``fee`` (GST included) and ``tax`` of the payment.
* cards — ``/v1/customers/{id}/tokens`` (list, fetch, delete).
* ``create_transfer``/``reconcile_transfers`` — Route ``/v1/transfers``.
* ``parse_webhook`` — no call: HMAC of the raw body.

Importing this module is cheap (``payproc backends`` imports it to read the
hookimpl markers): the modules that do the work, the settings model
(pydantic) and payproc's types are imported by the methods that use them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from payproc import hookimpl
from payproc.errors import CardError, ConfigurationError, IntegrityMismatch, ProcessorError

if TYPE_CHECKING:
    from payproc.types import (
        BankInfo,
        BrowserIntegration,
        CardInfo,
        CardUpdate,
        ChargeInfo,
        ChargeRef,
        Distribution,
        Party,
        PaymentContext,
        PaymentRequest,
        PaymentResult,
        RefundResult,
        TransferRecord,
        WebhookEvent,
    )

    from .client import RazorpayClient
    from .settings import RazorpaySettings

__all__ = ["RazorpayBackend"]

CHECKOUT_JS = "https://checkout.razorpay.com/v1/checkout.js"
_NOT_FOUND = ("does not exist", "not found", "invalid id")


def _notes(key: str | None, **values: str | None) -> dict[str, str]:
    notes = {f"payproc_{name}": value[:256] for name, value in values.items() if value}
    if key:
        notes["payproc_idempotency_key"] = key[:256]
    return notes


class RazorpayBackend:
    """payproc backend for Razorpay (entry point ``razorpay``)."""

    name = "razorpay"
    contract = ">=1.0,<2"
    unsupported: ClassVar[Mapping[str, str]] = {
        "update_bank": "Razorpay Route linked accounts get their bank account through Razorpay's "
        "onboarding (Dashboard or the v2 Accounts API with KYC), not from a browser token",
        "connect_auth": "Razorpay has no OAuth connection of provider accounts here; providers are "
        "Route linked accounts created by the merchant (deposit_key acc_…)",
        "get_authorize_url": "no OAuth connection for Razorpay Route linked accounts (see connect_auth)",
        "get_deauthorize_url": "no OAuth connection for Razorpay Route linked accounts (see connect_auth)",
        "list_customers": "Razorpay customers carry no description to match; they are found by the "
        "subscriber's card_key",
    }

    def __init__(self) -> None:
        self._settings: RazorpaySettings | None = None
        self._client: RazorpayClient | None = None

    # --- set-up --------------------------------------------------------------

    @hookimpl
    def settings_model(self) -> type[RazorpaySettings]:
        from .settings import RazorpaySettings

        return RazorpaySettings

    @hookimpl
    def configure(self, settings: RazorpaySettings) -> None:
        from .client import RazorpayClient
        from .settings import RazorpaySettings

        if not isinstance(settings, RazorpaySettings):
            settings = RazorpaySettings.model_validate(settings.model_dump())
        self._settings = settings
        self._client = RazorpayClient(settings)

    @property
    def client(self) -> RazorpayClient:
        if self._client is None:
            raise ConfigurationError("the Razorpay backend is not configured (PUB_KEY and PRIV_KEY)")
        return self._client

    @property
    def settings(self) -> RazorpaySettings:
        return self.client.settings

    @hookimpl
    def browser_integration(self) -> BrowserIntegration:
        from payproc.types import BrowserIntegration

        return BrowserIntegration(
            token_field="razorpay_payment_id",
            script_urls=(CHECKOUT_JS,),
            notes="Razorpay Checkout posts razorpay_payment_id, razorpay_order_id and "
            "razorpay_signature; only the payment id and signature are used, the order id "
            "comes from the server.",
        )

    # --- payments ------------------------------------------------------------

    @hookimpl
    def get_payment_context(
        self,
        subscriber: Party,
        amount: int | None,
        currency: str | None,
        provider: Party,
        broker: Party,
        idempotency_key: str | None,
    ) -> PaymentContext:
        from payproc.types import PaymentContext

        from .amounts import check_amount
        from .orders import find_or_create_order

        if amount is None:
            return self._card_context(subscriber, provider, idempotency_key)
        currency = check_amount(amount, currency or "")
        order = find_or_create_order(
            self.client,
            amount=amount,
            currency=currency,
            idempotency_key=idempotency_key,
            notes=_notes(idempotency_key, subscriber=subscriber.slug, provider=provider.slug),
            provider=provider.slug,
        )
        values: dict[str, Any] = {
            "key": self.settings.PUB_KEY,
            "order_id": order["id"],
            "amount": amount,
            "currency": currency.upper(),
            "name": provider.name,
            "prefill": {k: v for k, v in {"name": subscriber.name, "email": subscriber.email}.items() if v},
        }
        if subscriber.keys.card_key and subscriber.keys.card_key.startswith("cust_"):
            values["customer_id"] = subscriber.keys.card_key
        return PaymentContext(values=values, token_field="razorpay_payment_id", reference=str(order["id"]))

    def _card_context(self, subscriber: Party, provider: Party, idempotency_key: str | None) -> PaymentContext:
        from payproc.types import PaymentContext

        from .amounts import check_amount
        from .cards import Cards
        from .orders import find_or_create_order

        settings = self.settings
        currency = check_amount(settings.CARD_AUTH_AMOUNT, settings.CARD_AUTH_CURRENCY)
        customer = Cards(self.client).customer_for(subscriber)
        order = find_or_create_order(
            self.client,
            amount=settings.CARD_AUTH_AMOUNT,
            currency=currency,
            idempotency_key=idempotency_key,
            notes=_notes(idempotency_key, subscriber=subscriber.slug, purpose="card"),
            provider=provider.slug,
            extra={
                "customer_id": customer["id"],
                "method": "card",
                "payment_capture": False,
                "token": {"max_amount": settings.TOKEN_MAX_AMOUNT, "frequency": "as_presented"},
            },
        )
        values = {
            "key": settings.PUB_KEY,
            "order_id": order["id"],
            "customer_id": customer["id"],
            "recurring": "1",
            "amount": settings.CARD_AUTH_AMOUNT,
            "currency": currency.upper(),
            "name": provider.name,
        }
        return PaymentContext(values=values, token_field="razorpay_payment_id", reference=str(order["id"]))

    @hookimpl
    def create_payment(self, request: PaymentRequest, reference: str | None) -> PaymentResult:
        from .amounts import check_amount
        from .payments import Payments

        currency = check_amount(request.amount, request.currency)
        token = request.token or ""
        if token.startswith("cust_"):
            # A card on file passed as the token (djaodjin's remember_card path).
            return self._charge_customer(request, token, currency)
        if not reference:
            raise ProcessorError(
                "no Razorpay order is stored for this charge: get_payment_context must run "
                "before checkout, and its reference be kept with the charge"
            )
        if not token.startswith("pay_"):
            raise ProcessorError(f"razorpay_payment_id must be a Razorpay payment id (pay_…), got {token[:20]!r}")
        payments = Payments(self.client)
        payments.verify_checkout(reference, token, request.browser_fields.get("razorpay_signature"))
        payment = payments.fetch(token, request.provider.slug)
        return payments.settle(payment, reference, request.amount, currency, request.provider.slug)

    @hookimpl
    def create_charge(self, request: PaymentRequest) -> PaymentResult:
        from .amounts import check_amount

        currency = check_amount(request.amount, request.currency)
        customer_id = request.customer.keys.card_key
        if not customer_id or not customer_id.startswith("cust_"):
            raise CardError(f"{request.customer.slug} has no Razorpay card on file", "card_absent")
        return self._charge_customer(request, customer_id, currency)

    def _charge_customer(self, request: PaymentRequest, customer_id: str, currency: str) -> PaymentResult:
        from payproc.types import ChargeStatus

        from .cards import Cards
        from .convert import charge_status
        from .orders import find_or_create_order, order_payments
        from .payments import Payments

        client, provider = self.client, request.provider.slug
        cards, payments = Cards(client), Payments(client)
        customer = client.call(client.sdk.customer.fetch, customer_id, provider=provider)
        tokens = cards.tokens(customer_id)
        if not tokens:
            raise CardError(f"{request.customer.slug} has no usable Razorpay card on file", "card_absent")
        order = find_or_create_order(
            client,
            amount=request.amount,
            currency=currency,
            idempotency_key=request.idempotency_key,
            notes=_notes(request.idempotency_key, subscriber=request.customer.slug, provider=provider),
            provider=provider,
            extra={"customer_id": customer_id},
        )
        earlier = payments.best_of(order_payments(client, order["id"], provider)) if order.get("attempts") else None
        if earlier is not None and charge_status(earlier) is not ChargeStatus.FAILED:
            payment = payments.fetch(earlier["id"], provider)  # a retry: never pay twice
        else:
            data: dict[str, Any] = {
                "amount": request.amount,
                "currency": currency.upper(),
                "order_id": order["id"],
                "customer_id": customer_id,
                "token": tokens[0]["id"],
                "recurring": "1",
                "email": customer.get("email") or request.customer.email or "",
                "contact": str(customer.get("contact") or ""),
                "description": (request.descr or f"{request.provider.name}")[:255],
                "notes": _notes(request.idempotency_key, provider=provider),
            }
            answer = client.call(client.sdk.payment.createRecurring, data, provider=provider)
            payment_id = str(answer.get("razorpay_payment_id") or "")
            payments.verify_checkout(order["id"], payment_id, answer.get("razorpay_signature"))
            payment = payments.fetch(payment_id, provider)
        return payments.settle(payment, str(order["id"]), request.amount, currency, provider)

    @hookimpl
    def retrieve_charge(self, charge: ChargeRef) -> ChargeInfo:
        from payproc.types import ChargeInfo, ChargeStatus

        from .orders import order_payments
        from .payments import Payments

        client, provider = self.client, charge.provider.slug
        payments = Payments(client)
        if charge.processor_key:
            try:
                payment = payments.fetch(charge.processor_key, provider)
            except ProcessorError as error:
                if type(error) is ProcessorError and any(text in str(error).lower() for text in _NOT_FOUND):
                    return ChargeInfo(processor_key=charge.processor_key, status=ChargeStatus.NOT_FOUND)
                raise
            order = None
        else:
            order = self._order_of(charge)
            best = payments.best_of(order_payments(client, order["id"], provider)) if order else None
            if best is None:
                return ChargeInfo(processor_key=None, status=ChargeStatus.NOT_FOUND)
            payment = payments.fetch(best["id"], provider)
        if payment.get("status") == "authorized" and self._is_ours(payment, charge, order):
            payment = payments.capture(payment, provider)  # a late authorization
        return self._charge_info(payment)

    def _order_of(self, charge: ChargeRef) -> Mapping[str, Any] | None:
        """The charge's order: the one the core stored (``reference``,
        ``GET /v1/orders/{id}``), else the newest with the receipt of its
        idempotency key (a charge recorded before the core kept references).

        Razorpay does not enforce unique receipts, so two orders may share
        one; only the stored order is ever accepted by ``create_payment``, and
        a stored order Razorpay does not know means no charge, not another
        order's payment."""
        from .orders import find_order

        client, provider = self.client, charge.provider.slug
        if not charge.reference:
            return find_order(client, charge.idempotency_key, provider)
        try:
            order = client.call(client.sdk.order.fetch, charge.reference, provider=provider)
        except ProcessorError as error:
            if type(error) is ProcessorError and any(text in str(error).lower() for text in _NOT_FOUND):
                return None
            raise
        return order if order.get("id") == charge.reference else None

    def _is_ours(self, payment: Mapping[str, Any], charge: ChargeRef, order: Mapping[str, Any] | None) -> bool:
        """A payment for exactly this charge, on the charge's order."""
        from .orders import find_order

        if payment.get("amount") != charge.amount or str(payment.get("currency", "")).lower() != charge.currency:
            return False
        if order is None and charge.reference:
            return payment.get("order_id") == charge.reference  # no call needed
        if order is None:
            order = find_order(self.client, charge.idempotency_key, charge.provider.slug)
        return order is not None and payment.get("order_id") == order.get("id")

    @staticmethod
    def _charge_info(payment: Mapping[str, Any]) -> ChargeInfo:
        from payproc.types import ChargeInfo, ChargeStatus

        from .convert import charge_status, from_timestamp, receipt

        status = charge_status(payment)
        return ChargeInfo(
            processor_key=str(payment["id"]),
            status=status,
            amount=int(payment.get("amount") or 0),
            currency=str(payment.get("currency") or "").lower(),
            amount_refunded=int(payment.get("amount_refunded") or 0),
            created_at=from_timestamp(payment.get("created_at")),
            receipt=receipt(payment),
            failure_code=(payment.get("error_reason") or payment.get("error_code")) if status is ChargeStatus.FAILED else None,
            failure_message=payment.get("error_description") if status is ChargeStatus.FAILED else None,
        )

    @hookimpl
    def refund_charge(self, charge: ChargeRef, amount: int, broker_amount: int, idempotency_key: str) -> RefundResult:
        from payproc.money import validate_amount
        from payproc.types import RefundResult

        from .amounts import receipt_for
        from .convert import from_timestamp

        if not charge.processor_key:
            raise ProcessorError("cannot refund a charge Razorpay never confirmed (no payment id)")
        client, provider = self.client, charge.provider.slug
        validate_amount(amount)
        receipt_value = receipt_for(idempotency_key)
        existing = client.call(client.sdk.payment.fetch_multiple_refund, charge.processor_key, {"count": 100}, provider=provider)
        refund = next((item for item in existing.get("items", []) if item.get("receipt") == receipt_value), None)
        if refund is None:
            refund = client.call(
                client.sdk.payment.refund,
                charge.processor_key,
                {
                    "amount": amount,
                    "speed": "normal",
                    "receipt": receipt_value,
                    "notes": _notes(idempotency_key),
                },
                provider=provider,
            )
        if refund.get("amount") != amount or str(refund.get("currency", "")).lower() != charge.currency:
            raise IntegrityMismatch(
                f"Razorpay refund {refund.get('id')} is for {refund.get('amount')} {refund.get('currency')}, "
                f"not {amount} {charge.currency.upper()}"
            )
        if refund.get("status") == "failed":
            raise ProcessorError(f"Razorpay refund {refund.get('id')} failed")
        return RefundResult(
            processor_key=str(refund["id"]),
            amount=amount,
            currency=charge.currency,
            created_at=from_timestamp(refund.get("created_at")),
            broker_fee_refunded=broker_amount,
        )

    @hookimpl
    def charge_distribution(self, charge: ChargeRef, refunded: int, broker_fee_amount: int) -> Distribution:
        """Razorpay's ``fee`` already includes GST (``tax`` is its GST part)
        and is kept by Razorpay on refunds; fees are charged in INR."""
        from payproc.types import Distribution

        from .payments import Payments

        remaining = charge.amount - refunded
        fee = 0
        if charge.processor_key:
            payment = Payments(self.client).fetch(charge.processor_key, charge.provider.slug)
            fee = int(payment.get("fee") or 0)
        if charge.currency == "inr":
            distribute = remaining - fee - broker_fee_amount
        else:
            distribute = remaining - broker_fee_amount
        return Distribution(
            distribute_amount=distribute,
            distribute_unit=charge.currency,
            processor_fee_amount=fee,
            processor_fee_unit="inr",
            broker_fee_amount=broker_fee_amount,
            broker_fee_unit=charge.currency,
        )

    @hookimpl
    def dispute_fee(self, amount: int, currency: str) -> int:
        """Razorpay charges no fee for handling a chargeback."""
        return 0

    @hookimpl
    def prorate_transfer(self, amount: int, provider: Party) -> int:
        from .transfers import transfer_fee

        return transfer_fee(amount)

    # --- the card on file ----------------------------------------------------

    @hookimpl
    def create_or_update_card(self, subscriber: Party, token: str, provider: Party, broker: Party) -> CardUpdate:
        from .cards import Cards
        from .payments import Payments

        if not token or not token.startswith("pay_"):
            raise ProcessorError("a Razorpay card is saved from a checkout payment id (pay_…)")
        client = self.client
        payment = Payments(client).fetch(token, provider.slug)
        order = client.call(client.sdk.order.fetch, payment["order_id"]) if payment.get("order_id") else {}
        return Cards(client).save_from_payment(subscriber, payment, order)

    @hookimpl
    def delete_card(self, subscriber: Party, broker: Party) -> None:
        from .cards import Cards

        key = subscriber.keys.card_key
        if key and key.startswith("cust_"):
            Cards(self.client).delete_all(key)

    @hookimpl
    def retrieve_card(self, subscriber: Party, broker: Party) -> CardInfo | None:
        from .cards import Cards

        return Cards(self.client).retrieve(subscriber)

    # --- payouts -------------------------------------------------------------

    @hookimpl
    def create_transfer(
        self, provider: Party, amount: int, currency: str, descr: str | None, idempotency_key: str
    ) -> TransferRecord:
        from .transfers import Transfers

        return Transfers(self.client).create(provider, amount, currency, descr, idempotency_key)

    @hookimpl
    def reconcile_transfers(self, provider: Party, since: datetime, limit_to_one_request: bool) -> Sequence[TransferRecord]:
        from .transfers import Transfers

        return Transfers(self.client).reconcile(provider, since, limit_to_one_request)

    @hookimpl
    def retrieve_bank(self, provider: Party, broker: Party, includes_balance: bool) -> BankInfo:
        """The linked account as its owner knows it; Razorpay shows no
        linked-account balance through the API, so none is given."""
        from payproc.types import BankInfo

        from .transfers import Transfers

        account = Transfers.account_of(provider)
        return BankInfo(bank_name="Razorpay Route", last4="***-" + account[-4:])

    @hookimpl
    def get_deposit_context(self, provider: Party) -> Mapping[str, Any]:
        return {"RAZORPAY_PUB_KEY": self.settings.PUB_KEY}

    # --- webhooks ------------------------------------------------------------

    @hookimpl
    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        from .webhooks import parse_event

        secret = self._settings.WEBHOOK_SECRET if self._settings is not None else None
        return parse_event(body, {k.lower(): v for k, v in headers.items()}, secret.get_secret_value() if secret else None)
