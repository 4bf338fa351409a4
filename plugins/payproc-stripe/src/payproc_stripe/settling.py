"""Settling and finishing payments: what Stripe says about a charge whose
outcome payproc does not know, the customer's return, abandoned contexts,
and reconciliation.

The charge's own handles come first: its ``ch_`` processor key
(``GET /v1/charges/{id}``), or the PaymentIntent id payproc stored — the
processor key or the context's ``reference`` (``GET /v1/payment_intents/{id}``
expanding ``latest_charge``). Only when payproc holds neither (a server-side
create whose answer was lost) does it search PaymentIntents by the
``payproc_idempotency_key`` metadata (``GET /v1/payment_intents/search``):
Stripe documents that search can lag by up to an hour and is not available
to merchants in India, so it is the last resort.

* ``complete_payment``: re-reads the stored PaymentIntent (the return URL's
  ``payment_intent`` only has to agree with it; a PaymentIntent payproc did
  not store must carry this charge's idempotency key in its metadata);
* ``cancel_payment``: ``POST /v1/payment_intents/{id}/cancel``; when Stripe
  refuses because the intent moved on (the customer paid meanwhile), the
  intent is read back and reported as it is;
* ``list_payments``: ``GET /v1/payment_intents?created[gte]&created[lt]``,
  every page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from payproc.errors import ProcessorError
from payproc.types import ChargeInfo, ChargeRef, ChargeStatus, PaymentResult

from .api import StripeApi
from .builders import IDEMPOTENCY_METADATA
from .charges import charge_info
from .errors import is_missing
from .intents import intent_info, payment_result
from .routing import Route, charge_route

__all__ = ["Settling", "stored_intent"]


def stored_intent(charge: ChargeRef) -> str | None:
    """The PaymentIntent id payproc stored for ``charge``, if any."""
    for key in (charge.processor_key, charge.reference):
        if key and key.startswith("pi_"):
            return key
    return None


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _id(value: Any) -> str | None:
    return value.get("id") if isinstance(value, dict) else value if isinstance(value, str) else None


class Settling:
    def __init__(self, api: StripeApi) -> None:
        self.api = api

    def _route(self, charge: ChargeRef) -> Route:
        return charge_route(self.api.settings, charge.provider, charge.broker)

    def intent(self, charge: ChargeRef, intent_id: str) -> dict[str, Any] | None:
        """The PaymentIntent ``intent_id`` (``latest_charge`` expanded), ``None`` if Stripe has none."""
        try:
            return self.api.request(
                self._route(charge), self.api.v1.payment_intents.retrieve, intent_id,
                params={"expand": ["latest_charge"]},
            )
        except ProcessorError as error:
            if is_missing(error):
                return None
            raise

    def _intent_of(self, charge: ChargeRef) -> str | None:
        """The stored PaymentIntent, else the one behind the stored ``ch_`` key."""
        intent_id = stored_intent(charge)
        if intent_id or not charge.processor_key:
            return intent_id
        found = self.api.request(self._route(charge), self.api.v1.charges.retrieve, charge.processor_key)
        return _id(found.get("payment_intent"))

    def retrieve_charge(self, charge: ChargeRef) -> ChargeInfo:
        route = self._route(charge)
        if charge.processor_key and charge.processor_key.startswith(("ch_", "py_")):
            try:
                found = self.api.request(route, self.api.v1.charges.retrieve, charge.processor_key)
            except ProcessorError as error:
                if is_missing(error):
                    return ChargeInfo(processor_key=charge.processor_key, status=ChargeStatus.NOT_FOUND)
                raise
            return charge_info(found)
        intent_id = stored_intent(charge)
        if intent_id:
            intent = self.intent(charge, intent_id)
            if intent is None:
                return ChargeInfo(processor_key=None, status=ChargeStatus.NOT_FOUND)
            return intent_info(intent, route.account)
        query = f"metadata['{IDEMPOTENCY_METADATA}']:'{_quote(charge.idempotency_key)}'"
        page = self.api.request(
            route,
            self.api.v1.payment_intents.search,
            params={"query": query, "expand": ["data.latest_charge"]},
        )
        intents = page.get("data") or []
        if not intents:
            return ChargeInfo(processor_key=None, status=ChargeStatus.NOT_FOUND)
        return intent_info(max(intents, key=lambda intent: intent.get("created") or 0), route.account)

    def complete_payment(self, charge: ChargeRef, params: Mapping[str, str]) -> PaymentResult:
        stored = self._intent_of(charge)
        named = params.get("payment_intent") or params.get("stripeToken")
        if stored and named and named != stored:
            raise ProcessorError("the PaymentIntent the customer came back with is not the one made for this charge")
        intent_id = stored or named
        if not intent_id or not intent_id.startswith("pi_"):
            raise ProcessorError("no PaymentIntent to complete for this charge")
        intent = self.intent(charge, intent_id)
        if intent is None:
            raise ProcessorError(f"Stripe has no PaymentIntent {intent_id}")
        if not stored and (intent.get("metadata") or {}).get(IDEMPOTENCY_METADATA) != charge.idempotency_key:
            raise ProcessorError(f"PaymentIntent {intent_id} was not made for this charge")
        return payment_result(intent, charge.amount, charge.currency, self._route(charge).account)

    def cancel_payment(self, charge: ChargeRef) -> ChargeInfo:
        intent_id = self._intent_of(charge)
        if not intent_id:
            return self.retrieve_charge(charge)
        route = self._route(charge)
        try:
            intent = self.api.request(
                route, self.api.v1.payment_intents.cancel, intent_id,
                params={"cancellation_reason": "abandoned", "expand": ["latest_charge"]},
                idempotency_key=f"{charge.idempotency_key}:cancel",
            )
        except ProcessorError as error:
            if is_missing(error):
                return ChargeInfo(processor_key=None, status=ChargeStatus.NOT_FOUND)
            backend = getattr(error, "backend_except", None)
            if getattr(backend, "code", None) != "payment_intent_unexpected_state":
                raise
            current = self.intent(charge, intent_id)  # it moved on (paid, processing): say what it is now
            if current is None:
                raise
            intent = current
        return intent_info(intent, route.account)

    def list_payments(self, route: Route, since: datetime, until: datetime) -> Sequence[ChargeInfo]:
        params = {"created": {"gte": int(since.timestamp()), "lt": int(until.timestamp())}, "limit": 100,
                  "expand": ["data.latest_charge"]}
        return [
            intent_info(intent, route.account)
            for intent in self.api.iterate(route, self.api.v1.payment_intents.list, params)
        ]
