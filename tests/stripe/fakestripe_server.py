"""A stateful fake of the Stripe API over real HTTP (werkzeug), for the calls
payproc-stripe makes — including what localstripe lacks: ``Stripe-Account``
routing, fees and ``fee_details``, application fees and their refunds,
destination charges, idempotency replay and conflict, PaymentIntent search,
3-D Secure test cards and their challenge, payouts in any currency,
balances, external accounts, Connect OAuth.

**It refuses what Stripe refuses.** Every route names the request-parameter
TypedDict the stripe SDK generates for it (``stripe.params``); each request is
validated against it for the SDK's API version (:mod:`fakestripe_params`)
before the route runs, and the request must carry that ``Stripe-Version``.
On top of that, routes refuse the combinations Stripe documents as refused
(an application fee on a charge that is neither direct nor destination,
``off_session`` without ``confirm``, card numbers instead of tokens…).

The routes live in one module per story: :mod:`fakestripe_cards` (customers,
payment methods, SetupIntents), :mod:`fakestripe_payments` (PaymentIntents,
charges, refunds, application fees) and :mod:`fakestripe_connect` (payouts,
balances, accounts, OAuth). Around them: :mod:`fakestripe_state` (accounts,
money movements), :mod:`fakestripe_auth` (3-D Secure cards and the
challenge page), :mod:`fakestripe_params` (request validation),
:mod:`fakestripe_render` (objects as Stripe's JSON), :mod:`fakestripe_errors`
and :mod:`fakestripe_forms` (form decoding).

Faults can be injected per request (:meth:`FakeStripe.fail_next`): answer
5xx after doing the work (the answer is lost), or wait past the client's
timeout.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from fakestripe_auth import CHALLENGE_PATH, serve_challenge
from fakestripe_forms import decode
from fakestripe_params import API_VERSION, params_class, validate
from fakestripe_state import Account, FakeStripeState, StripeFail, export, missing, new_id

Handler = Callable[["Call"], Any]


@dataclass(frozen=True)
class Route:
    """A route: its handler and the ``stripe.params`` class its requests must fit."""

    method: str
    pattern: re.Pattern[str]
    handler: Handler
    params: str | None  # None: Stripe's SDK has no params class for it (OAuth), see ``unchecked``
    publishable: bool = False  # Stripe.js may call it with the publishable key
    unchecked: str = ""



@dataclass
class Call:
    """One request after authentication."""

    method: str
    path: str
    params: dict[str, Any]
    caller: Account
    account: Account
    secret: bool  # made with a secret key (not a publishable key)
    match: dict[str, str]

    @property
    def expand(self) -> list[str]:
        value = self.params.get("expand") or []
        return value if isinstance(value, list) else [value]


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    status: int = 500
    after: bool = True  # do the work, then lose the answer
    delay: float = 0.0


def int_param(params: dict[str, Any], name: str, required: bool = True) -> int | None:
    value = params.get(name)
    if value is None:
        if required:
            raise StripeFail(400, f"Missing required param: {name}.", param=name)
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise StripeFail(400, f"Invalid integer: {value}", param=name) from None


def currency_param(params: dict[str, Any]) -> str:
    currency = params.get("currency")
    if not isinstance(currency, str) or not re.fullmatch(r"[a-z]{3}", currency):
        raise StripeFail(400, f"Invalid currency: {currency}.", param="currency")
    return currency


def check_descriptor(value: Any, name: str) -> None:
    if value is None:
        return
    if len(value) > 22 or re.search(r"[<>\\'\"*]", value) or not re.search(r"[A-Za-z]", value):
        raise StripeFail(400, f"Invalid {name}: at most 22 characters, at least one letter, none of <>\\'\"*",
                         param=name)


class FakeStripe:
    """The fake server: ``start()`` it, point ``API_BASE`` at :attr:`url`."""

    def __init__(self) -> None:
        self.state = FakeStripeState()
        self.lock = threading.RLock()
        self.idempotency: dict[tuple[str, str, str], tuple[str, int, str]] = {}
        self.faults: list[Fault] = []
        self.requests: list[dict[str, Any]] = []
        self.crashes: list[str] = []
        self.routes: list[Route] = []
        self.versions: set[str | None] = set()
        self._routes()
        self._server: Any = None

    # --- life cycle ---------------------------------------------------------

    def start(self) -> FakeStripe:
        self._server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def platform(self) -> Account:
        return self.state.platform

    def fail_next(self, method: str, path: str, *, status: int = 500, after: bool = True, delay: float = 0.0) -> None:
        """Make the next ``method`` request whose path matches ``path`` fail."""
        self.faults.append(Fault(method.upper(), re.compile(path), status, after, delay))

    # --- HTTP ---------------------------------------------------------------

    def route(self, method: str, pattern: str, params: str | None, *, publishable: bool = False,
              unchecked: str = "") -> Callable[[Handler], Handler]:
        """Register a handler for ``method pattern`` whose requests must fit ``stripe.params.<params>``."""
        if params is None and not unchecked:
            raise ValueError(f"{method} {pattern}: name its stripe.params class or say why there is none")
        if params is not None:
            params_class(params)  # a typo fails at start-up, not at the first request

        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method, re.compile(f"^{pattern}$"), handler, params, publishable, unchecked))
            return handler
        return register

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path.startswith(CHALLENGE_PATH):  # the issuer's 3-D Secure page, not Stripe's API
            return serve_challenge(self, request)(environ, start_response)
        fault = self._take_fault(request.method, request.path)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and not fault.after:
            response = self._error(fault.status, {"error": {"type": "api_error", "message": "fake outage"}})
        else:
            response = self._handle(request)
            if fault is not None and not fault.delay:
                response = self._error(fault.status, {"error": {"type": "api_error", "message": "fake: answer lost"}})
        return response(environ, start_response)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.method == method and fault.pattern.search(path):
                    self.faults.remove(fault)
                    return fault
        return None

    @staticmethod
    def _error(status: int, body: dict[str, Any]) -> Response:
        return Response(json.dumps(body), status=status, content_type="application/json",
                        headers={"Request-Id": new_id("req")})

    def _handle(self, request: Request) -> Response:
        pairs = list(request.form.items(multi=True)) if request.method == "POST" else []
        pairs += list(request.args.items(multi=True))
        params = decode(pairs)
        key = request.headers.get("Idempotency-Key")
        header_account = request.headers.get("Stripe-Account")
        version = request.headers.get("Stripe-Version")
        with self.lock:
            self.requests.append({"method": request.method, "path": request.path, "params": params,
                                  "stripe_account": header_account, "idempotency_key": key,
                                  "stripe_version": version})
            self.versions.add(version)
            try:
                caller, secret = self._authenticate(request, params)
                account = self.state.target(caller, header_account)
                if request.path.startswith("/v1/") and version not in (None, API_VERSION):
                    # Stripe accepts any published version; this fake describes one.
                    raise StripeFail(400, f"fakestripe validates requests for Stripe-Version {API_VERSION} "
                                          f"only (the stripe SDK's params), not {version}", param="Stripe-Version")
            except StripeFail as fail:
                return self._error(fail.status, fail.body)
            scope = (caller.id, header_account or "", key or "")
            fingerprint = hashlib.sha256(
                json.dumps([request.method, request.path, params], sort_keys=True).encode()).hexdigest()
            if key and request.method == "POST" and scope in self.idempotency:
                seen, status, body = self.idempotency[scope]
                if seen != fingerprint:
                    return self._error(400, {"error": {
                        "type": "idempotency_error",
                        "message": "Keys for idempotent requests can only be used with the same parameters they "
                                   f"were first used with. Try using a key other than '{key}' if you meant to "
                                   "execute a different request."}})
                return Response(body, status=status, content_type="application/json",
                                headers={"Idempotent-Replayed": "true", "Idempotency-Key": key})
            status, body = self._dispatch(request.method, request.path, params, caller, account, secret, key)
            if key and request.method == "POST":
                self.idempotency[scope] = (fingerprint, status, body)
        headers = {"Request-Id": new_id("req")}
        if key:
            headers["Idempotency-Key"] = key
        return Response(body, status=status, content_type="application/json", headers=headers)

    def _authenticate(self, request: Request, params: dict[str, Any]) -> tuple[Account, bool]:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            token = header[7:]
        elif header.startswith("Basic "):
            token = base64.b64decode(header[6:]).decode().split(":")[0]
        elif request.path.startswith("/oauth/") and params.get("client_secret"):
            token = params.pop("client_secret")
        else:
            raise StripeFail(401, "You did not provide an API key.")
        return self.state.by_key(token)

    def _dispatch(self, method: str, path: str, params: dict[str, Any], caller: Account, account: Account,
                  secret: bool, key: str | None) -> tuple[int, str]:
        for route in self.routes:
            match = route.pattern.match(path)
            if route.method == method and match:
                call = Call(method, path, params, caller, account, secret, match.groupdict())
                try:
                    if not secret and not route.publishable:
                        raise StripeFail(401, "This API call cannot be made with a publishable API key. "
                                              "Please use a secret API key.")
                    if route.params is not None:
                        validate(params, route.params, publishable=not secret)
                    result = route.handler(call)
                    if isinstance(result, dict) and result.get("object") == "payment_intent" and key:
                        account.objects[result["id"]].setdefault("_idempotency_keys", []).append(key)
                    return 200, json.dumps(result)
                except StripeFail as fail:
                    return fail.status, json.dumps(fail.body)
                except Exception:  # noqa: BLE001 - a bug in the fake: say so loudly
                    import traceback

                    text = traceback.format_exc()
                    self.crashes.append(text)
                    return 500, json.dumps({"error": {"type": "api_error", "message": f"fake crashed: {text}"}})
        return 404, json.dumps({"error": {"type": "invalid_request_error",
                                          "message": f"Unrecognized request URL ({method}: {path})."}})

    def out(self, call: Call, obj: dict[str, Any]) -> dict[str, Any]:
        return export(obj, call.expand, self.state, call.account)

    def listing(self, call: Call, items: list[dict[str, Any]], url: str) -> dict[str, Any]:
        """Cursor pagination, newest first, as Stripe lists."""
        limit = int_param(call.params, "limit", required=False) or 10
        if not 1 <= limit <= 100:
            raise StripeFail(400, "Invalid limit: must be between 1 and 100", param="limit")
        items = sorted(items, key=lambda item: (item.get("created", 0), item["id"]), reverse=True)
        after = call.params.get("starting_after")
        if after:
            ids = [item["id"] for item in items]
            if after not in ids:
                raise missing("object", after, "starting_after")
            items = items[ids.index(after) + 1:]
        page = items[:limit]
        return {"object": "list", "url": url, "has_more": len(items) > limit,
                "data": [export(item, [p[5:] for p in call.expand if p.startswith("data.")], self.state, call.account)
                         for item in page]}

    # --- endpoints ------------------------------------------------------------

    def _routes(self) -> None:
        import fakestripe_cards
        import fakestripe_connect
        import fakestripe_payments

        for module in (fakestripe_cards, fakestripe_payments, fakestripe_connect):
            module.register(self)
