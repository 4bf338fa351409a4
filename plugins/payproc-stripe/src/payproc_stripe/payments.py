"""Payments: the browser's context, one-time tokens, the card on file,
settling unknown outcomes and refunds.

Stripe calls:

* context: ``POST /v1/customers`` (subscriber without a customer), then
  ``POST /v1/setup_intents`` (card update) or ``POST /v1/payment_intents``
  (checkout, ``setup_future_usage=off_session``);
* ``pi_`` token: ``GET /v1/payment_intents/{id}?expand[]=latest_charge``;
* card token with a context intent: ``POST /v1/payment_intents/{id}/confirm``;
  without one: ``POST /v1/payment_intents`` (``confirm``, ``off_session``);
* ``cus_`` / card on file: ``GET /v1/customers/{id}``, then (card and charge
  on different accounts) ``POST /v1/payment_methods`` to clone the card into
  the charge's account, then ``POST /v1/payment_intents``;
* settle: ``GET /v1/charges/{id}``, or ``GET /v1/payment_intents/search`` by
  the ``payproc_idempotency_key`` metadata when the first answer was lost;
* refund: ``POST /v1/refunds`` then ``POST /v1/application_fees/{id}/refunds``.
"""

from __future__ import annotations

import re
from typing import Any

from payproc.errors import NoPaymentMethod, ProcessorError
from payproc.types import (
    ChargeInfo,
    ChargeRef,
    ChargeStatus,
    Party,
    PaymentContext,
    PaymentRequest,
    PaymentResult,
    RefundResult,
)

from .amounts import from_stripe, to_stripe
from .api import StripeApi
from .charges import charge_info, payment_result, timestamp
from .errors import is_missing
from .routing import Route, card_route, charge_route

__all__ = ["Payments", "statement_descriptor_suffix"]

#: The metadata key that finds a PaymentIntent again by its idempotency key.
IDEMPOTENCY_METADATA = "payproc_idempotency_key"
_FORBIDDEN = re.compile(r"[<>\\'\"*]")


def statement_descriptor_suffix(text: str | None) -> str | None:
    """A ``statement_descriptor_suffix`` Stripe accepts: no ``< > \\ ' " *``,
    at least one letter, at most 22 characters (Stripe no longer accepts a
    full ``statement_descriptor`` on card payments)."""
    if not text:
        return None
    cleaned = " ".join(_FORBIDDEN.sub("", text).split())[:22].strip()
    return cleaned if re.search(r"[A-Za-z]", cleaned) else None


class Payments:
    def __init__(self, api: StripeApi) -> None:
        self.api = api

    @property
    def settings(self) -> Any:
        return self.api.settings

    # --- context -----------------------------------------------------------

    def _customer(self, subscriber: Party, route: Route, idempotency_key: str | None) -> str:
        if subscriber.keys.card_key and subscriber.keys.card_key.startswith("cus_"):
            return subscriber.keys.card_key
        customer = self.api.request(
            route,
            self.api.v1.customers.create,
            params=_customer_params(subscriber),
            idempotency_key=f"{idempotency_key}:customer" if idempotency_key else None,
        )
        return str(customer["id"])

    def payment_context(
        self,
        subscriber: Party,
        amount: int | None,
        currency: str | None,
        provider: Party,
        broker: Party,
        broker_fee_amount: int,
        idempotency_key: str | None,
    ) -> PaymentContext:
        values: dict[str, Any] = {"STRIPE_PUB_KEY": self.settings.PUB_KEY}
        if self.settings.USE_STRIPE_V2 or amount == 0:
            return PaymentContext(values=values, token_field="stripeToken")
        cards = card_route(self.settings, broker)
        if amount is None:
            customer = self._customer(subscriber, cards, idempotency_key)
            intent = self.api.request(
                cards,
                self.api.v1.setup_intents.create,
                params={"customer": customer, "usage": "off_session", "payment_method_types": ["card"]},
                idempotency_key=f"{idempotency_key}:setup" if idempotency_key else None,
            )
            route = cards
        else:
            route = charge_route(self.settings, provider, broker)
            params = self._intent_params(amount, currency or "", provider, broker_fee_amount, route, idempotency_key)
            if route.account == cards.account:
                # Only an intent on the card's account can keep the card for later.
                params["customer"] = self._customer(subscriber, cards, idempotency_key)
                params["setup_future_usage"] = "off_session"
            intent = self.api.request(
                route,
                self.api.v1.payment_intents.create,
                params=params,
                idempotency_key=f"{idempotency_key}:intent" if idempotency_key else None,
            )
        values["STRIPE_INTENT_SECRET"] = intent["client_secret"]
        if route.account:
            values["STRIPE_ACCOUNT"] = route.account
        return PaymentContext(values=values, token_field="stripeToken", reference=str(intent["id"]))

    def _intent_params(
        self,
        amount: int,
        currency: str,
        provider: Party,
        broker_fee_amount: int,
        route: Route,
        idempotency_key: str | None,
        descr: str | None = None,
        stmt_descr: str | None = None,
        metadata: Any = None,
    ) -> dict[str, Any]:
        params: dict[str, Any] = {
            "amount": to_stripe(amount, currency),
            "currency": currency,
            "payment_method_types": ["card"],
            "metadata": {**dict(metadata or {}), **({IDEMPOTENCY_METADATA: idempotency_key} if idempotency_key else {})},
        }
        suffix = statement_descriptor_suffix(stmt_descr or provider.name)
        if suffix:
            params["statement_descriptor_suffix"] = suffix
        if descr:
            params["description"] = descr
        if route.destination:
            params["transfer_data"] = {"destination": route.destination}
        if broker_fee_amount and route.takes_application_fee:
            params["application_fee_amount"] = to_stripe(broker_fee_amount, currency)
        return params

    # --- payments ----------------------------------------------------------

    def create_payment(self, request: PaymentRequest, reference: str | None) -> PaymentResult:
        token = request.token or ""
        route = charge_route(self.settings, request.provider, request.broker)
        if token.startswith("cus_"):
            return self._charge_customer(request, token)
        if token.startswith("pi_"):
            if reference and reference != token:
                raise ProcessorError("the PaymentIntent posted by the browser is not the one made for this charge")
            intent = self.api.request(
                route, self.api.v1.payment_intents.retrieve, token, params={"expand": ["latest_charge"]}
            )
            return payment_result(intent, request.amount, request.currency)
        if not token:
            raise NoPaymentMethod(request.customer.slug)
        method = _payment_method_params(token)
        if reference and reference.startswith("pi_"):
            intent = self.api.request(
                route,
                self.api.v1.payment_intents.confirm,
                reference,
                params={**method, "expand": ["latest_charge"]},
                idempotency_key=f"{request.idempotency_key}:confirm",
            )
            return payment_result(intent, request.amount, request.currency)
        params = self._request_params(request, route)
        params.update(method)
        return self._confirm_new(request, route, params)

    def _request_params(self, request: PaymentRequest, route: Route) -> dict[str, Any]:
        return self._intent_params(
            request.amount,
            request.currency,
            request.provider,
            request.broker_fee_amount,
            route,
            request.idempotency_key,
            request.descr,
            request.stmt_descr,
            request.metadata,
        )

    def _confirm_new(self, request: PaymentRequest, route: Route, params: dict[str, Any]) -> PaymentResult:
        params.update({"confirm": True, "off_session": True, "expand": ["latest_charge"]})
        intent = self.api.request(
            route, self.api.v1.payment_intents.create, params=params, idempotency_key=request.idempotency_key
        )
        return payment_result(intent, request.amount, request.currency)

    def create_charge(self, request: PaymentRequest) -> PaymentResult:
        card_key = request.customer.keys.card_key
        if not card_key:
            raise NoPaymentMethod(request.customer.slug)
        return self._charge_customer(request, card_key)

    def _charge_customer(self, request: PaymentRequest, customer_id: str) -> PaymentResult:
        cards = card_route(self.settings, request.broker)
        route = charge_route(self.settings, request.provider, request.broker)
        customer = self.api.request(cards, self.api.v1.customers.retrieve, customer_id)
        payment_method = (customer.get("invoice_settings") or {}).get("default_payment_method") or customer.get(
            "default_source"
        )
        if isinstance(payment_method, dict):
            payment_method = payment_method.get("id")
        if not payment_method:
            raise NoPaymentMethod(request.customer.slug)
        params = self._request_params(request, route)
        if route.account == cards.account:
            params.update({"customer": customer_id, "payment_method": payment_method})
        else:
            # The card lives on another account: clone it into the charge's account.
            clone = self.api.request(
                route,
                self.api.v1.payment_methods.create,
                params={"customer": customer_id, "payment_method": payment_method},
                idempotency_key=f"{request.idempotency_key}:clone",
            )
            params["payment_method"] = clone["id"]
        return self._confirm_new(request, route, params)

    # --- settling ----------------------------------------------------------

    def retrieve_charge(self, charge: ChargeRef) -> ChargeInfo:
        route = charge_route(self.settings, charge.provider, charge.broker)
        if charge.processor_key:
            try:
                found = self.api.request(route, self.api.v1.charges.retrieve, charge.processor_key)
            except ProcessorError as error:
                if is_missing(error):
                    return ChargeInfo(processor_key=charge.processor_key, status=ChargeStatus.NOT_FOUND)
                raise
            return charge_info(found)
        query = f"metadata['{IDEMPOTENCY_METADATA}']:'{_quote(charge.idempotency_key)}'"
        page = self.api.request(
            route,
            self.api.v1.payment_intents.search,
            params={"query": query, "expand": ["data.latest_charge"]},
        )
        for intent in page.get("data") or []:
            latest = intent.get("latest_charge")
            if isinstance(latest, dict):
                return charge_info(latest)
            if intent.get("status") in ("processing", "requires_action", "requires_confirmation"):
                return ChargeInfo(processor_key=None, status=ChargeStatus.PENDING,
                                  amount=from_stripe(intent["amount"], intent["currency"]),
                                  currency=intent["currency"])
        return ChargeInfo(processor_key=None, status=ChargeStatus.NOT_FOUND)

    # --- refunds -----------------------------------------------------------

    def refund_charge(self, charge: ChargeRef, amount: int, broker_amount: int, idempotency_key: str) -> RefundResult:
        if not charge.processor_key:
            raise ProcessorError("cannot refund a charge Stripe never confirmed (no processor key)")
        route = charge_route(self.settings, charge.provider, charge.broker)
        params: dict[str, Any] = {
            "charge": charge.processor_key,
            "amount": to_stripe(amount, charge.currency),
            "refund_application_fee": False,
            "expand": ["charge"],
        }
        if route.destination:
            params["reverse_transfer"] = True
        refund = self.api.request(route, self.api.v1.refunds.create, params=params, idempotency_key=idempotency_key)
        currency = refund["currency"]
        refunded = from_stripe(refund["amount"], currency)
        if currency != charge.currency or refunded != amount:
            from payproc.errors import IntegrityMismatch

            raise IntegrityMismatch(f"Stripe refunded {refunded} {currency} for a refund of {amount} {charge.currency}")
        fee_refunded = 0
        stripe_charge = refund.get("charge") if isinstance(refund.get("charge"), dict) else {}
        fee = stripe_charge.get("application_fee")
        fee_id = fee.get("id") if isinstance(fee, dict) else fee
        if broker_amount > 0 and fee_id:
            # Application fees belong to the platform: no Stripe-Account.
            fee_refund = self.api.request(
                Route(),
                self.api.v1.application_fees.refunds.create,
                fee_id,
                params={"amount": to_stripe(broker_amount, charge.currency)},
                idempotency_key=f"{idempotency_key}:fee",
                setup_party=charge.broker.slug,
            )
            fee_refunded = from_stripe(fee_refund["amount"], fee_refund["currency"])
        return RefundResult(
            processor_key=refund["id"],
            amount=refunded,
            currency=currency,
            created_at=timestamp(refund.get("created")),
            broker_fee_refunded=fee_refunded,
        )


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _payment_method_params(token: str) -> dict[str, Any]:
    if token.startswith(("pm_", "card_", "src_")):
        return {"payment_method": token}
    return {"payment_method_data": {"type": "card", "card": {"token": token}}}


def _customer_params(subscriber: Party) -> dict[str, Any]:
    params: dict[str, Any] = {"description": subscriber.slug}
    if subscriber.email:
        params["email"] = subscriber.email
    if subscriber.printable_name:
        params["name"] = subscriber.printable_name
    return params
