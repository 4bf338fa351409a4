"""Reading a request's fields: a JSON object or an HTML form, the same way.

The checkout accepts both because processor integrations differ: some post
a form with the token (the seed's ``stripeToken``), a page's ``fetch`` posts
JSON. Field names are kept as sent, so the one the backend expects
(``token_field``) can be looked up and named in errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from ..guards import refuse_card_data
from ..money import from_major, normalize_currency
from .errors import ApiError

__all__ = ["read_amount", "read_fields", "truthy"]


async def read_fields(request: Request) -> dict[str, Any]:
    """The body's fields (JSON object or form), plus query parameters that the
    body does not set."""
    fields: dict[str, Any] = dict(request.query_params)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        fields.update({name: value for name, value in form.items() if isinstance(value, str)})
    else:
        raw = await request.body()
        if raw.strip():
            try:
                body = await request.json()
            except ValueError:
                raise ApiError(400, "invalid_json", "the request body is not valid JSON") from None
            if not isinstance(body, dict):
                raise ApiError(400, "invalid_json", "the request body must be a JSON object")
            fields.update(body)
    # Card data anywhere in the request (nested too) is refused, never
    # silently dropped: the page that sent it must be fixed.
    refuse_card_data(None, fields, what="request")
    return fields


def truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def read_amount(fields: Mapping[str, Any], default_currency: str | None, *, required: bool = True
                ) -> tuple[int | None, str | None]:
    """``(amount in minor units, currency)`` from ``amount`` (integer minor
    units) or ``amount_major`` (a decimal string such as ``"20.00"``,
    converted exactly)."""
    currency = fields.get("currency") or default_currency
    amount = fields.get("amount")
    major = fields.get("amount_major")
    if amount in (None, "") and major in (None, ""):
        if required:
            raise ApiError(400, "invalid_amount",
                           "an amount is required: 'amount' in minor units (2000) or 'amount_major' (\"20.00\")")
        return None, normalize_currency(currency) if currency else None
    if not currency:
        raise ApiError(400, "unknown_currency", "a 'currency' is required (an ISO 4217 code such as 'usd')")
    currency = normalize_currency(currency)
    if amount not in (None, ""):
        if isinstance(amount, str) and amount.strip().isdigit():
            amount = int(amount.strip())
        return amount, currency  # validated by the core
    if not isinstance(major, str):
        raise ApiError(400, "invalid_amount", "'amount_major' must be a decimal string such as \"20.00\"")
    return from_major(major.strip(), currency), currency
