"""Reading a request's fields: a JSON object or an HTML form, the same way.

The checkout accepts both because processor integrations differ: some post
a form with the token (the seed's ``stripeToken``), a page's ``fetch`` posts
JSON. Field names are kept as sent, so the one the backend expects
(``token_field``) can be looked up and named in errors.

A body is read up to a limit (:data:`MAX_BODY`, :data:`MAX_WEBHOOK_BODY`):
a bigger one is a 413 before it is all in memory, a JSON document nested
deeper than :data:`MAX_DEPTH` a 400, never a 500.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from ..guards import refuse_card_data
from ..money import from_major, normalize_currency
from .errors import ApiError

__all__ = ["MAX_BODY", "MAX_DEPTH", "MAX_WEBHOOK_BODY", "read_amount", "read_body", "read_fields", "read_form",
           "truthy"]

#: The largest body a checkout endpoint reads (a page posts a token and a
#: few fields; a 3-D Secure page posting back, a few kilobytes).
MAX_BODY = 64 * 1024
#: The largest webhook body read (a processor's event with its object).
MAX_WEBHOOK_BODY = 1024 * 1024
#: How deeply a JSON body may nest (``params`` is one level down).
MAX_DEPTH = 16


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The raw body, refused with 413 once it passes ``limit`` bytes (the
    announced ``Content-Length`` first, then what actually arrives)."""
    announced = request.headers.get("content-length", "")
    if announced.isdigit() and int(announced) > limit:
        raise ApiError(413, "body_too_large", f"the request body is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "body_too_large", f"the request body is larger than {limit} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    # Starlette's form() and json() read the body it keeps here (what its
    # own body() sets): the body is then read once, within the limit.
    request._body = body
    return body


async def read_form(request: Request) -> dict[str, str]:
    """A form body's text fields, read within :data:`MAX_BODY`."""
    await read_body(request)
    form = await request.form()
    return {name: value for name, value in form.items() if isinstance(value, str)}


def _too_deep(value: Any) -> bool:
    """Whether objects and arrays nest more than :data:`MAX_DEPTH` levels
    (the body is the first; a string or number inside is no level)."""
    level, depth = [value], 0
    while level:
        depth += 1
        if depth > MAX_DEPTH:
            return True
        level = [item for container in level
                 for item in (container.values() if isinstance(container, dict) else container)
                 if isinstance(item, (dict, list))]
    return False


async def read_fields(request: Request) -> dict[str, Any]:
    """The body's fields (JSON object or form), plus query parameters that the
    body does not set."""
    fields: dict[str, Any] = dict(request.query_params)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        fields.update(await read_form(request))
    else:
        raw = await read_body(request)
        if raw.strip():
            try:
                body = json.loads(raw)
            except (ValueError, RecursionError):
                raise ApiError(400, "invalid_json", "the request body is not valid JSON") from None
            if not isinstance(body, dict):
                raise ApiError(400, "invalid_json", "the request body must be a JSON object")
            if _too_deep(body):
                raise ApiError(400, "invalid_json", f"the request body nests deeper than {MAX_DEPTH} levels")
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
