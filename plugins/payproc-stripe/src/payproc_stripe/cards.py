"""The subscriber's card on file, kept as a Stripe Customer's default
PaymentMethod on the card account (see :mod:`payproc_stripe.routing`).

Stripe calls:

* update: ``GET /v1/payment_intents/{id}`` or ``GET /v1/setup_intents/{id}``
  (a browser-confirmed intent); else ``POST /v1/customers`` when needed, then
  ``POST /v1/customers/{id}`` with ``source`` (REMOTE, legacy sources, as the
  seed does) or, for a ``tok_`` token, ``POST /v1/payment_methods`` then
  ``POST /v1/setup_intents`` (``confirm``, off-session); then
  ``POST /v1/payment_methods/{id}/attach`` if needed and
  ``POST /v1/customers/{id}`` setting ``invoice_settings.default_payment_method``;
* delete: ``GET /v1/customers/{id}``, ``POST /v1/payment_methods/{id}/detach``;
* retrieve: ``GET /v1/customers/{id}`` expanding the default payment method.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from payproc.errors import CardError, InvalidInput, ProcessorError
from payproc.types import CardInfo, CardUpdate, CustomerRecord, Party

from .api import StripeApi
from .builders import CARD_ONLY, customer_params
from .charges import card_info
from .errors import is_missing
from .payments import payment_method_id
from .routing import Route, card_route, charge_route
from .settings import Mode

__all__ = ["Cards"]

LOGGER = logging.getLogger(__name__)


def _id(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("id")
    return value if isinstance(value, str) else None


class Cards:
    def __init__(self, api: StripeApi) -> None:
        self.api = api

    def create_or_update(self, subscriber: Party, token: str, provider: Party, broker: Party) -> CardUpdate:
        v1 = self.api.v1
        route = card_route(self.api.settings, broker)
        customer = subscriber.keys.card_key if (subscriber.keys.card_key or "").startswith("cus_") else None
        if token.startswith("pi_"):
            intent_route = charge_route(self.api.settings, provider, broker)
            intent = self.api.request(intent_route, v1.payment_intents.retrieve, token)
            payment_method = _id(intent.get("payment_method"))
            customer = self._own_customer(subscriber, route, _id(intent.get("customer"))) or customer
        elif token.startswith("seti_"):
            intent = self.api.request(route, v1.setup_intents.retrieve, token)
            if intent.get("status") != "succeeded":
                raise CardError("the card was not confirmed", "setup_intent_unexpected_state")
            payment_method = _id(intent.get("payment_method"))
            customer = self._own_customer(subscriber, route, _id(intent.get("customer"))) or customer
        else:
            if customer is None:
                customer = str(self.api.request(route, v1.customers.create, params=customer_params(subscriber))["id"])
            if self.api.settings.MODE == Mode.REMOTE and token.startswith("tok_"):
                updated = self.api.request(route, v1.customers.update, customer, params={"source": token})
                payment_method = _id(updated.get("default_source"))
            else:
                intent = self.api.request(
                    route,
                    v1.setup_intents.create,
                    params={
                        "customer": customer,
                        "usage": "off_session",
                        "confirm": True,
                        **CARD_ONLY,
                        "payment_method": payment_method_id(self.api, route, token, None),
                    },
                )
                if intent.get("status") != "succeeded":
                    raise CardError("the card requires the cardholder's authentication", "authentication_required")
                payment_method = _id(intent.get("payment_method"))
        if not payment_method or not customer:
            raise ProcessorError(f"Stripe returned no card for token {token[:8]}…")
        method = self.api.request(route, v1.payment_methods.retrieve, payment_method)
        if method.get("object") == "payment_method" and _id(method.get("customer")) != customer:
            method = self.api.request(route, v1.payment_methods.attach, payment_method, params={"customer": customer})
        self.api.request(
            route,
            v1.customers.update,
            customer,
            params={"invoice_settings": {"default_payment_method": payment_method}},
        )
        return CardUpdate(card_key=customer, card=card_info(method))

    def _own_customer(self, subscriber: Party, route: Route, customer: str | None) -> str | None:
        """``customer`` (the Customer of an intent the browser names) if it
        is the subscriber's: their ``card_key``, or, before they have one,
        the Customer the card context made for them (its description is
        their slug). An intent id is no secret: another customer's would
        make their card this subscriber's card on file."""
        if customer is None or customer == subscriber.keys.card_key:
            return customer
        if not (subscriber.keys.card_key or "").startswith("cus_"):
            found = self.api.request(route, self.api.v1.customers.retrieve, customer)
            if found.get("description") == subscriber.slug and not found.get("deleted"):
                return customer
        raise InvalidInput("the intent posted as the card was made for another customer: the card on file is unchanged")

    def _customer(self, subscriber: Party, route: Route) -> dict[str, Any] | None:
        key = subscriber.keys.card_key
        if not key:
            return None
        try:
            return self.api.request(
                route,
                self.api.v1.customers.retrieve,
                key,
                params={"expand": ["invoice_settings.default_payment_method", "default_source"]},
            )
        except ProcessorError as error:
            if is_missing(error):
                LOGGER.warning("Stripe has no customer %s for %s", key, subscriber.slug)
                return None
            raise

    def delete(self, subscriber: Party, broker: Party) -> None:
        route = card_route(self.api.settings, broker)
        customer = self._customer(subscriber, route)
        if customer is None:
            return
        method = _id((customer.get("invoice_settings") or {}).get("default_payment_method"))
        source = _id(customer.get("default_source"))
        if method and not method.startswith(("card_", "src_")):
            self.api.request(route, self.api.v1.payment_methods.detach, method)
        elif source or method:
            # A legacy card source is removed from the customer, not detached.
            self.api.request(route, self.api.v1.customers.payment_sources.delete, customer["id"], source or method)

    def retrieve(self, subscriber: Party, broker: Party) -> CardInfo | None:
        route = card_route(self.api.settings, broker)
        customer = self._customer(subscriber, route)
        if customer is None:
            return None
        method = (customer.get("invoice_settings") or {}).get("default_payment_method")
        source = customer.get("default_source")
        if not method and isinstance(source, dict):
            # Legacy card source: make it the default payment method, as the seed does.
            self.api.request(
                route,
                self.api.v1.customers.update,
                customer["id"],
                params={"invoice_settings": {"default_payment_method": source["id"]}},
            )
            method = source
        if not isinstance(method, dict):
            return None
        if method.get("object") == "payment_method" and _id(method.get("customer")) != customer["id"]:
            return None  # a detached card is no card on file, whatever the default still says
        return card_info(method)

    def list_customers(self, pattern: str, broker: Party) -> Sequence[CustomerRecord]:
        route = card_route(self.api.settings, broker)
        regex = re.compile(pattern)
        return [
            CustomerRecord(processor_key=item["id"], description=item.get("description") or "", email=item.get("email"))
            for item in self.api.iterate(route, self.api.v1.customers.list, {"limit": 100})
            if regex.search(item.get("description") or "")
        ]
