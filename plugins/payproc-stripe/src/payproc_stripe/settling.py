"""Settling: what Stripe says about a charge whose outcome payproc does not know.

The charge's own handles come first: its ``ch_`` processor key
(``GET /v1/charges/{id}``), or the PaymentIntent id payproc stored — the
processor key or the context's ``reference`` (``GET /v1/payment_intents/{id}``
expanding ``latest_charge``). Only when payproc holds neither (a server-side
create whose answer was lost) does it search PaymentIntents by the
``payproc_idempotency_key`` metadata (``GET /v1/payment_intents/search``):
Stripe documents that search can lag by up to an hour and is not available
to merchants in India, so "not found" from search alone is not final for
recent charges.
"""

from __future__ import annotations

from typing import Any

from payproc.errors import ProcessorError
from payproc.types import ChargeInfo, ChargeRef, ChargeStatus

from .api import StripeApi
from .builders import IDEMPOTENCY_METADATA
from .charges import charge_info, intent_info
from .errors import is_missing
from .routing import charge_route

__all__ = ["Settling", "stored_intent"]


def stored_intent(charge: ChargeRef) -> str | None:
    """The PaymentIntent id payproc stored for ``charge``, if any."""
    for key in (charge.processor_key, charge.reference):
        if key and key.startswith("pi_"):
            return key
    return None


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


class Settling:
    def __init__(self, api: StripeApi) -> None:
        self.api = api

    def intent(self, charge: ChargeRef, intent_id: str) -> dict[str, Any] | None:
        """The PaymentIntent ``intent_id`` (``latest_charge`` expanded), ``None`` if Stripe has none."""
        route = charge_route(self.api.settings, charge.provider, charge.broker)
        try:
            return self.api.request(
                route, self.api.v1.payment_intents.retrieve, intent_id, params={"expand": ["latest_charge"]}
            )
        except ProcessorError as error:
            if is_missing(error):
                return None
            raise

    def retrieve_charge(self, charge: ChargeRef) -> ChargeInfo:
        route = charge_route(self.api.settings, charge.provider, charge.broker)
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
            return intent_info(intent)
        query = f"metadata['{IDEMPOTENCY_METADATA}']:'{_quote(charge.idempotency_key)}'"
        page = self.api.request(
            route,
            self.api.v1.payment_intents.search,
            params={"query": query, "expand": ["data.latest_charge"]},
        )
        intents = page.get("data") or []
        if not intents:
            return ChargeInfo(processor_key=None, status=ChargeStatus.NOT_FOUND)
        return intent_info(max(intents, key=lambda intent: intent.get("created") or 0))
