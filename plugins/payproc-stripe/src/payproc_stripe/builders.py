"""Request parameters the backend sends, built in one place so that every
call agrees with the pinned API version (``settings.API_VERSION``):

* no ``payment_method_types`` (removed from PaymentIntents and SetupIntents
  on 2026-09-30.endive: Stripe answers 400
  ``payment_method_types_no_longer_supported``); ``allowed_payment_method_types``
  keeps intents card-only, which is what payproc's checkout collects, so a
  server-side confirmation needs no ``return_url``;
* a legacy ``tok_…`` token is never sent as ``payment_method_data[card][token]``
  (not a parameter of PaymentIntent create/confirm on this version): it first
  becomes a PaymentMethod (``POST /v1/payment_methods`` with
  ``type=card, card[token]``, which that version documents for tokens);
* destination charges carry ``on_behalf_of`` (the provider is the settlement
  merchant: Stripe refuses cross-region destination charges without it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from payproc.types import Party

from .amounts import to_stripe
from .routing import Route

__all__ = [
    "CARD_ONLY",
    "IDEMPOTENCY_METADATA",
    "customer_params",
    "intent_params",
    "statement_descriptor_suffix",
]

#: The metadata key that finds a PaymentIntent (or refund, payout) again by its idempotency key.
IDEMPOTENCY_METADATA = "payproc_idempotency_key"
#: Intents accept cards only: what payproc's checkout collects (Stripe.js card Element).
CARD_ONLY = {"allowed_payment_method_types": ["card"]}
_FORBIDDEN = re.compile(r"[<>\\'\"*]")


def statement_descriptor_suffix(text: str | None) -> str | None:
    """A ``statement_descriptor_suffix`` Stripe accepts: no ``< > \\ ' " *``,
    at least one letter, at most 22 characters (Stripe no longer accepts a
    full ``statement_descriptor`` on card payments)."""
    if not text:
        return None
    cleaned = " ".join(_FORBIDDEN.sub("", text).split())[:22].strip()
    return cleaned if re.search(r"[A-Za-z]", cleaned) else None


def customer_params(subscriber: Party) -> dict[str, Any]:
    params: dict[str, Any] = {"description": subscriber.slug}
    if subscriber.email:
        params["email"] = subscriber.email
    if subscriber.printable_name:
        params["name"] = subscriber.printable_name
    return params


def intent_params(
    amount: int,
    currency: str,
    provider: Party,
    broker_fee_amount: int,
    route: Route,
    idempotency_key: str | None,
    *,
    descr: str | None = None,
    stmt_descr: str | None = None,
    metadata: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """``POST /v1/payment_intents`` parameters for one payproc charge."""
    params: dict[str, Any] = {
        "amount": to_stripe(amount, currency),
        "currency": currency,
        **CARD_ONLY,
        "metadata": {**dict(metadata or {}), **({IDEMPOTENCY_METADATA: idempotency_key} if idempotency_key else {})},
    }
    suffix = statement_descriptor_suffix(stmt_descr or provider.name)
    if suffix:
        params["statement_descriptor_suffix"] = suffix
    if descr:
        params["description"] = descr
    if route.destination:
        params["transfer_data"] = {"destination": route.destination}
        params["on_behalf_of"] = route.destination
    if broker_fee_amount and route.takes_application_fee:
        params["application_fee_amount"] = to_stripe(broker_fee_amount, currency)
    return params
