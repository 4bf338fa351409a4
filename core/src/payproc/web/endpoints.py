"""The JSON endpoints. Each one reads the request, runs one payproc flow in
a worker thread (the flows are synchronous: database and processor calls
block) and answers JSON; payproc's errors are answered by
:func:`payproc.web.errors.error_response`."""

from __future__ import annotations

import inspect
import logging
from urllib.parse import urlencode
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import NoMatchFound
from starlette.responses import JSONResponse, RedirectResponse, Response

from ..app import Payproc
from ..db.models import ChargeRow, ChargeState, Profile
from ..errors import InvalidInput, NoPaymentMethod, OutcomeUnknown
from ..flows import actions
from ..flows.checkout import new_idempotency_key
from ..money import minor_digits
from . import serialize
from .errors import HANDLED, ApiError, error_response, handled
from .fields import read_amount, read_fields, read_form, truthy
from .origin import check_same_origin

__all__ = ["CustomerResolver", "Endpoints"]

LOGGER = logging.getLogger("payproc.web")

#: Returns the slug of the customer a request pays for (from the session of
#: the application that mounts payproc.web); may be a coroutine function.
CustomerResolver = Callable[[Request, "dict[str, Any]"], "str | None | Awaitable[str | None]"]

#: Checkout fields payproc reads itself; any other posted field goes to the
#: backend as a browser field (``razorpay_signature``…).
CHECKOUT_FIELDS = frozenset({
    "customer", "amount", "amount_major", "currency", "idempotency_key", "remember_card", "descr",
})


def _no_token(token_field: str, fields: Mapping[str, Any], why: str = "") -> ApiError:
    """400 ``no_token``: where the token is expected, and what was posted."""
    return ApiError(400, "no_token",
                    f"no processor token: it is expected in the {token_field!r} field of the POST body{why}",
                    token_field=token_field, received_fields=sorted(fields))


class Endpoints:
    """The handlers, bound to one :class:`~payproc.Payproc`."""

    def __init__(self, app: Payproc, *, customer_of: CustomerResolver | None, default_customer: str | None,
                 default_currency: str, trusted_origins: Collection[str] = (), ledger_limit: int = 50,
                 card_on_file: bool | None = None) -> None:
        self.app = app
        #: Whether a checkout may use or keep the card on file: only when the
        #: application says who pays (``customer_of``) or in the demo. Else the
        #: customer is whatever the request posts, and anyone could charge
        #: anyone's saved card, or replace it with their own.
        self.card_on_file = customer_of is not None if card_on_file is None else card_on_file
        self.trusted_origins = frozenset(origin.rstrip("/") for origin in trusted_origins)
        self.customer_of = customer_of
        self.default_customer = default_customer
        self.default_currency = default_currency
        self.ledger_limit = ledger_limit

    # --- plumbing ---------------------------------------------------------------

    def token_field(self) -> str:
        return self.app.backend.token_field

    def guard(self, request: Request) -> None:
        """Refuse cross-site browser requests to an endpoint that changes
        something (see :mod:`payproc.web.origin`)."""
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            check_same_origin(request, self.trusted_origins)

    async def customer(self, request: Request, fields: dict[str, Any]) -> str:
        if self.customer_of is not None:
            slug = self.customer_of(request, fields)
            if inspect.isawaitable(slug):
                slug = await slug
        else:
            slug = fields.get("customer") or self.default_customer
        if not slug or not isinstance(slug, str):
            raise ApiError(400, "no_customer", "no customer: post a 'customer' (a profile slug)")
        return slug

    def _answer_error(self, error: Exception, **options: Any) -> Response:
        response = error_response(error, token_field=self.token_field(), **options)
        if response is None:
            raise error
        return response

    @staticmethod
    def return_url(request: Request, key: str) -> str:
        """Where a processor that sends the customer away brings them back
        for the purchase ``key`` (``return/<key>``, under the app's mount)."""
        return str(request.url_for("payproc-return", key=key))

    def _charge_by_key(self, key: str, customer: str | None) -> dict[str, Any] | None:
        """The purchase ``key`` names, for an error answer: only the
        customer's own (``customer``; ``None`` when no ``customer_of`` says
        who pays, and the key alone names the purchase, as for a poll). An
        error about another customer's key shows nothing of their purchase."""
        with self.app.db.reading() as session:
            query = select(ChargeRow).where(ChargeRow.idempotency_key == key)
            if customer is not None:
                query = query.join(Profile, Profile.id == ChargeRow.customer_id).where(Profile.slug == customer)
            charge = session.scalar(query)
            return serialize.charge_json(charge) if charge is not None else None

    # --- payment context and checkout -------------------------------------------------

    async def context(self, request: Request) -> Response:
        """GET: what the page needs before it knows the amount (backend, token
        field, scripts, public values). POST with an amount: also records the
        charge and returns its ``idempotency_key``: post it back with the
        token."""
        try:
            self.guard(request)
            fields = await read_fields(request)
            customer = await self.customer(request, fields)
            amount, currency, key, return_url = None, None, None, None
            if request.method == "POST":  # a GET never records a charge
                amount, currency = read_amount(fields, self.default_currency)
                key = str(fields.get("idempotency_key") or new_idempotency_key())
                return_url = self.return_url(request, key)
            prepared = await run_in_threadpool(
                self.app.payment_context, customer, amount, currency, idempotency_key=key, return_url=return_url)
            integration = await run_in_threadpool(self.app.backend.call_optional, "browser_integration")
        except HANDLED as error:
            return self._answer_error(error)
        currency = currency or self.default_currency
        return JSONResponse({
            "backend": self.app.backend.name,
            "customer": customer,
            "token_field": prepared.token_field,
            "values": dict(prepared.values),
            "idempotency_key": prepared.idempotency_key,
            "next_action": prepared.next_action,
            "amount": amount,
            "currency": currency,
            "minor_digits": minor_digits(currency),
            "script_urls": list(integration.script_urls) if integration is not None else [],
            "notes": integration.notes if integration is not None else "",
        })

    async def checkout(self, request: Request) -> Response:
        """Charge the customer with the token posted in the backend's token
        field, or with the card on file when there is none."""
        token_field = self.token_field()
        key: str | None = None
        customer: str | None = None
        fields: dict[str, Any] = {}
        try:
            self.guard(request)
            fields = await read_fields(request)
            customer = await self.customer(request, fields)
            amount, currency = read_amount(fields, self.default_currency)
            assert amount is not None and currency is not None  # required=True
            token = fields.get(token_field)
            if token is not None and not isinstance(token, str):
                raise InvalidInput(f"{token_field!r} must be a processor token string")
            if not self.card_on_file and not token:
                raise _no_token(token_field, fields, " (the card on file is charged only when the application "
                                                     "says who pays: create_app(..., customer_of=...))")
            if not self.card_on_file and truthy(fields.get("remember_card")):
                raise ApiError(400, "remember_card_refused",
                               "remember_card needs create_app(..., customer_of=...): without it the customer "
                               "is whatever the request posts; nothing was charged")
            key = str(fields.get("idempotency_key") or new_idempotency_key())
            browser_fields = {
                name: value for name, value in fields.items()
                if name not in CHECKOUT_FIELDS and name != token_field and isinstance(value, str)
            }
            charge = await run_in_threadpool(
                self.app.checkout, customer, amount, currency, token or None, idempotency_key=key,
                remember_card=truthy(fields.get("remember_card")), browser_fields=browser_fields,
                descr=fields.get("descr") or None, return_url=self.return_url(request, key),
            )
        except HANDLED as error:
            if not handled(error):
                raise
            extra: dict[str, Any] = {}
            if key is not None and customer is not None:
                extra["idempotency_key"] = key
                found = await run_in_threadpool(self._charge_by_key, key, customer)
                if found is not None:
                    extra["charge"] = found
            if isinstance(error, NoPaymentMethod):
                extra["received_fields"] = sorted(fields)
            return self._answer_error(error, in_progress=True, **extra)
        body = serialize.charge_json(charge)
        return JSONResponse(body, status_code=200 if charge.state == ChargeState.DONE else 202)

    async def purchase(self, request: Request) -> Response:
        """GET ``api/checkout/<idempotency key>``: where the page's purchase
        stands (a charge in progress is settled with the processor first).
        The page polls it instead of paying again."""
        key = request.path_params["key"]
        try:
            customer = None
            if self.customer_of is not None:
                customer = await self.customer(request, {})
            charge = await run_in_threadpool(actions.poll, self.app, key, customer=customer)
        except HANDLED as error:
            return self._answer_error(error)
        return JSONResponse(serialize.charge_json(charge))

    async def complete(self, request: Request) -> Response:
        """POST ``api/complete`` ``{"idempotency_key", "params"}``: the page's
        processor script finished the customer's action (3-D Secure, an
        OTP); payproc asks the processor how it ended."""
        key: str | None = None
        customer: str | None = None
        try:
            self.guard(request)
            fields = await read_fields(request)
            customer = await self.customer(request, fields) if self.customer_of is not None else None
            key = fields.get("idempotency_key")
            if not key or not isinstance(key, str):
                raise ApiError(400, "no_idempotency_key", "post the purchase's 'idempotency_key'")
            params = fields.get("params") or {}
            if not isinstance(params, dict):
                raise ApiError(400, "invalid_params", "'params' must be an object of strings")
            charge = await run_in_threadpool(self.app.complete, key, params, customer=customer)
        except HANDLED as error:
            if not handled(error):
                raise
            extra: dict[str, Any] = {}
            if key is not None and not isinstance(error, LookupError):
                found = await run_in_threadpool(self._charge_by_key, key, customer)
                if found is not None:
                    extra["charge"] = found
            return self._answer_error(error, in_progress=True, **extra)
        return JSONResponse(serialize.charge_json(charge), status_code=200 if charge.state == ChargeState.DONE else 202)

    async def customer_return(self, request: Request) -> Response:
        """GET or POST ``return/<key>``: the customer is back from the
        processor (a redirect, a 3-D Secure page posting back). Whatever the
        return carries is handed to ``complete`` — which verifies it with the
        processor and trusts none of it — then the customer is sent to the
        page, which shows the purchase's real outcome. Not origin-checked: the
        processor's page posts here from its own origin."""
        key = request.path_params["key"]
        fields: dict[str, Any] = dict(request.query_params)
        try:
            if request.method == "POST":
                fields.update(await read_form(request))
            await run_in_threadpool(self.app.complete, key, fields)
        except HANDLED as error:
            if not handled(error):
                raise
            LOGGER.info("return for purchase %s: %s", key, type(error).__name__)
        try:
            page = str(request.url_for("payproc-page"))
        except NoMatchFound:  # mounted without the demo page: answer where the purchase stands
            return await self.purchase(request)
        return RedirectResponse(page + "?" + urlencode({"purchase": key}), status_code=303)

    # --- charges and refunds ------------------------------------------------------------

    async def charges(self, request: Request) -> Response:
        customer = request.query_params.get("customer")
        state = request.query_params.get("state")

        def query() -> list[dict[str, Any]]:
            with self.app.db.reading() as session:
                statement = select(ChargeRow).order_by(ChargeRow.id.desc()).limit(100)
                if customer:
                    statement = statement.join(Profile, Profile.id == ChargeRow.customer_id).where(
                        Profile.slug == customer)
                if state:
                    statement = statement.where(ChargeRow.state == state)
                return [serialize.charge_json(charge) for charge in session.scalars(statement)]

        return JSONResponse({"charges": await run_in_threadpool(query)})

    async def charge(self, request: Request) -> Response:
        try:
            charge = await run_in_threadpool(self.app.get_charge, request.path_params["charge_id"])
        except HANDLED as error:
            return self._answer_error(error)
        return JSONResponse(serialize.charge_json(charge))

    async def refund(self, request: Request) -> Response:
        """Refund all that is left of a charge, or ``amount`` of it."""
        charge_id: int = request.path_params["charge_id"]
        try:
            self.guard(request)
            fields = await read_fields(request)
            charge = await run_in_threadpool(self.app.get_charge, charge_id)
            amount, currency = read_amount(fields, charge.currency, required=False)
            if currency is not None and currency != charge.currency:
                # A refund is in the charge's currency; another one is a
                # mistake to report, never an amount to reinterpret.
                raise ApiError(400, "currency_mismatch",
                               f"charge {charge_id} is in {charge.currency.upper()}; "
                               f"a refund of it cannot be in {currency.upper()}")
            refund = await run_in_threadpool(
                self.app.refund, charge_id, amount, idempotency_key=fields.get("idempotency_key") or None)
            charge = await run_in_threadpool(self.app.get_charge, charge_id)
        except OutcomeUnknown as error:
            return self._answer_error(error, in_progress=True, charge_id=charge_id)
        except HANDLED as error:
            return self._answer_error(error)
        return JSONResponse({"refund": serialize.refund_json(refund, charge.currency),
                             "charge": serialize.charge_json(charge)}, status_code=201)

    async def ledger(self, request: Request) -> Response:
        """The books: balances per profile and account, whether they balance,
        and the latest double-entry rows."""

        def read() -> dict[str, Any]:
            with self.app.db.reading() as session:
                entries = serialize.ledger_entries(session, self.ledger_limit)
            return {**serialize.books_json(self.app.check_books(), self.app.balances()), "entries": entries}

        return JSONResponse(await run_in_threadpool(read))

    # --- the card on file -----------------------------------------------------------------

    async def card(self, request: Request) -> Response:
        """GET: the card on file; POST: replace it with the posted token;
        DELETE: forget it."""
        token_field = self.token_field()
        try:
            self.guard(request)
            fields = await read_fields(request)
            customer = await self.customer(request, fields)
            if request.method == "GET":
                card = await run_in_threadpool(self.app.retrieve_card, customer)
                return JSONResponse({"customer": customer, "card": serialize.card_json(card)})
            if request.method == "DELETE":
                await run_in_threadpool(self.app.delete_card, customer)
                return JSONResponse({"customer": customer, "card": None})
            token = fields.get(token_field)
            if not token or not isinstance(token, str):
                raise _no_token(token_field, fields)
            card = await run_in_threadpool(self.app.update_card, customer, token)
        except HANDLED as error:
            return self._answer_error(error)
        return JSONResponse({"customer": customer, "card": serialize.card_json(card)})
