"""A stateful fake of the Stripe API over real HTTP (werkzeug), for the calls
payproc-stripe makes — including what localstripe lacks: ``Stripe-Account``
routing, fees and ``fee_details``, application fees and their refunds,
destination charges, idempotency replay and conflict, PaymentIntent search,
payouts in any currency, balances, external accounts, Connect OAuth.

Parameters a Stripe endpoint does not take are refused as Stripe refuses them
(``Received unknown parameter``), and so are the combinations Stripe rejects
(an application fee on a charge that is neither direct nor destination,
``off_session`` without ``confirm``, card numbers instead of tokens…).

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

from fakestripe_forms import decode
from fakestripe_state import (
    THREE_DECIMAL,
    Account,
    FakeStripeState,
    StripeFail,
    export,
    missing,
    new_id,
    search_metadata,
    template,
)

Handler = Callable[["Call"], Any]

PI_CREATE = {"amount", "currency", "customer", "payment_method", "payment_method_data", "payment_method_types",
             "confirm", "off_session", "setup_future_usage", "statement_descriptor", "statement_descriptor_suffix",
             "description", "metadata", "application_fee_amount", "transfer_data", "expand", "capture_method",
             "receipt_email", "on_behalf_of", "return_url", "transfer_group"}
PI_CONFIRM = {"payment_method", "payment_method_data", "off_session", "expand", "client_secret", "return_url",
              "setup_future_usage"}


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

    def allow(self, names: set[str]) -> None:
        for name in self.params:
            if name not in names:
                raise StripeFail(400, f"Received unknown parameter: {name}", param=name)

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


def _int(params: dict[str, Any], name: str, required: bool = True) -> int | None:
    value = params.get(name)
    if value is None:
        if required:
            raise StripeFail(400, f"Missing required param: {name}.", param=name)
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise StripeFail(400, f"Invalid integer: {value}", param=name) from None


def _currency(params: dict[str, Any]) -> str:
    currency = params.get("currency")
    if not isinstance(currency, str) or not re.fullmatch(r"[a-z]{3}", currency):
        raise StripeFail(400, f"Invalid currency: {currency}.", param="currency")
    return currency


def _descriptor(value: Any, name: str) -> None:
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
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
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

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append((method, re.compile(f"^{pattern}$"), handler))
            return handler
        return register

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
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
        with self.lock:
            self.requests.append({"method": request.method, "path": request.path, "params": params,
                                  "stripe_account": header_account, "idempotency_key": key})
            try:
                caller, secret = self._authenticate(request, params)
                account = self.state.target(caller, header_account)
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
        for verb, pattern, handler in self.routes:
            match = pattern.match(path)
            if verb == method and match:
                call = Call(method, path, params, caller, account, secret, match.groupdict())
                try:
                    if not secret and not getattr(handler, "publishable", False):
                        raise StripeFail(401, "This API call cannot be made with a publishable API key. "
                                              "Please use a secret API key.")
                    result = handler(call)
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
        limit = _int(call.params, "limit", required=False) or 10
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
        state = self.state
        r = self.route

        def publishable(handler: Handler) -> Handler:
            handler.publishable = True  # type: ignore[attr-defined]
            return handler

        @r("POST", "/v1/customers")
        def customer_create(call: Call) -> Any:
            call.allow({"description", "email", "name", "metadata", "payment_method", "invoice_settings", "expand"})
            customer = call.account.add(template(
                "customer", id=new_id("cus"), created=int(time.time()), description=call.params.get("description"),
                email=call.params.get("email"), name=call.params.get("name"), default_source=None, discount=None,
                metadata=call.params.get("metadata") or {}, currency=None,
                invoice_settings={**template("customer")["invoice_settings"], "default_payment_method": None},
                sources=None,
            ))
            if call.params.get("payment_method"):
                state.attach(call.account, state.payment_method(call.account, call.params["payment_method"]),
                             customer["id"])
            return self.out(call, customer)

        @r("GET", "/v1/customers/(?P<id>cus_\\w+)")
        def customer_get(call: Call) -> Any:
            return self.out(call, call.account.get(call.match["id"], "customer"))

        @r("POST", "/v1/customers/(?P<id>cus_\\w+)")
        def customer_update(call: Call) -> Any:
            call.allow({"description", "email", "name", "metadata", "invoice_settings", "source", "default_source",
                        "expand"})
            customer = call.account.get(call.match["id"], "customer")
            for name in ("description", "email", "name"):
                if name in call.params:
                    customer[name] = call.params[name]
            settings = call.params.get("invoice_settings") or {}
            if "default_payment_method" in settings:
                ident = settings["default_payment_method"] or None
                if ident:
                    method = state.payment_method(call.account, ident)
                    if method.get("customer") != customer["id"]:
                        raise StripeFail(400, f"The customer does not have a payment method with the ID {ident}. "
                                         "The payment method must be attached to the customer.",
                                         param="invoice_settings[default_payment_method]")
                customer["invoice_settings"]["default_payment_method"] = ident
            if call.params.get("source"):
                method = state.from_token(call.account, call.params["source"])
                card = call.account.add({**method["card"], "id": new_id("card"), "object": "card",
                                         "customer": customer["id"], "name": None,
                                         "_test_card": method["_test_card"]})
                call.account.objects.pop(method["id"])
                state.attach(call.account, card, customer["id"])
                customer["default_source"] = card["id"]
            return self.out(call, customer)

        @r("GET", "/v1/customers")
        def customer_list(call: Call) -> Any:
            call.allow({"limit", "starting_after", "email", "expand"})
            items = [obj for obj in call.account.objects.values() if obj["object"] == "customer"]
            return self.listing(call, items, "/v1/customers")

        @r("DELETE", "/v1/customers/(?P<id>cus_\\w+)/sources/(?P<source>\\w+)")
        def source_delete(call: Call) -> Any:
            customer = call.account.get(call.match["id"], "customer")
            card = call.account.get(call.match["source"], "source")
            card["customer"] = None
            if customer.get("default_source") == card["id"]:
                customer["default_source"] = None
            if customer["invoice_settings"].get("default_payment_method") == card["id"]:
                customer["invoice_settings"]["default_payment_method"] = None
            return {"id": card["id"], "object": "card", "deleted": True}

        @publishable
        @r("POST", "/v1/payment_methods")
        def method_create(call: Call) -> Any:
            call.allow({"type", "card", "billing_details", "metadata", "customer", "payment_method", "expand"})
            if call.params.get("payment_method") and call.params.get("customer"):
                # Cloning a platform customer's card into a connected account.
                if call.account is call.caller:
                    raise StripeFail(400, "Cloning a PaymentMethod requires the Stripe-Account header.")
                source = call.caller.get(call.params["customer"], "customer", "customer")
                method = state.payment_method(call.caller, call.params["payment_method"])
                if method.get("customer") != source["id"]:
                    raise StripeFail(400, "The payment method is not attached to this customer.",
                                     param="payment_method")
                clone = call.account.add({**method, "id": new_id("pm"), "customer": None,
                                          "object": "payment_method"})
                if method.get("object") == "card":
                    clone = call.account.add(template(
                        "payment_method", id=clone["id"], customer=None, card={**template("payment_method")["card"],
                        **{k: method.get(k) for k in ("brand", "last4", "exp_month", "exp_year")}},
                        _test_card=method.get("_test_card")))
                return self.out(call, clone)
            if call.params.get("type") != "card":
                raise StripeFail(400, "Invalid type: must be card", param="type")
            card = call.params.get("card") or {}
            if set(card) != {"token"}:
                raise StripeFail(400, "Sending credit card numbers directly to the Stripe API is generally unsafe.",
                                 param="card")
            return self.out(call, state.from_token(call.account, card["token"], call.params.get("billing_details")))

        @r("GET", "/v1/payment_methods/(?P<id>\\w+)")
        def method_get(call: Call) -> Any:
            return self.out(call, state.payment_method(call.account, call.match["id"]))

        @r("POST", "/v1/payment_methods/(?P<id>\\w+)/attach")
        def method_attach(call: Call) -> Any:
            call.allow({"customer", "expand"})
            method = state.payment_method(call.account, call.match["id"])
            if method.get("customer"):
                raise StripeFail(400, "This PaymentMethod is already attached to a customer.")
            state.attach(call.account, method, call.params.get("customer", ""))
            return self.out(call, method)

        @r("POST", "/v1/payment_methods/(?P<id>\\w+)/detach")
        def method_detach(call: Call) -> Any:
            call.allow({"expand"})
            method = state.payment_method(call.account, call.match["id"])
            if not method.get("customer"):
                raise StripeFail(400, "The payment method you provided is not attached to a customer so "
                                 "detachment is impossible.")
            customer = call.account.objects.get(method["customer"])
            if customer and customer["invoice_settings"].get("default_payment_method") == method["id"]:
                customer["invoice_settings"]["default_payment_method"] = None
            method["customer"] = None
            return self.out(call, method)

        def setup_confirm(call: Call, intent: dict[str, Any]) -> None:
            method = state.method_from_params(call.account, call.params) or (
                state.payment_method(call.account, intent["payment_method"]) if intent["payment_method"] else None)
            if method is None:
                raise StripeFail(400, "You cannot confirm this SetupIntent because it's missing a payment method.")
            intent["payment_method"] = method["id"]
            try:
                if intent.get("customer"):
                    state.attach(call.account, method, intent["customer"])
            except StripeFail as fail:
                intent["status"] = "requires_payment_method"
                intent["last_setup_error"] = {**fail.body["error"], "payment_method": export(method)}
                fail.body["error"]["setup_intent"] = export(intent)
                raise
            intent["status"] = "succeeded"
            intent["last_setup_error"] = None

        @r("POST", "/v1/setup_intents")
        def setup_create(call: Call) -> Any:
            call.allow({"customer", "usage", "payment_method", "payment_method_data", "payment_method_types",
                        "confirm", "metadata", "description", "expand", "return_url"})
            if call.params.get("customer"):
                call.account.get(call.params["customer"], "customer", "customer")
            ident = new_id("seti")
            intent = call.account.add(template(
                "setup_intent", id=ident, client_secret=f"{ident}_secret_{new_id('s')}", created=int(time.time()),
                customer=call.params.get("customer"), usage=call.params.get("usage", "off_session"),
                payment_method=None, status="requires_payment_method", last_setup_error=None, next_action=None,
                metadata=call.params.get("metadata") or {}, payment_method_configuration_details=None,
            ))
            if call.params.get("payment_method"):
                intent["payment_method"] = state.payment_method(call.account, call.params["payment_method"])["id"]
                intent["status"] = "requires_confirmation"
            if call.params.get("confirm") in ("true", True):
                setup_confirm(call, intent)
            return self.out(call, intent)

        @r("GET", "/v1/setup_intents/(?P<id>seti_\\w+)")
        def setup_get(call: Call) -> Any:
            return self.out(call, call.account.get(call.match["id"], "setup intent", "intent"))

        @publishable
        @r("POST", "/v1/setup_intents/(?P<id>seti_\\w+)/confirm")
        def setup_confirm_route(call: Call) -> Any:
            call.allow({"payment_method", "payment_method_data", "client_secret", "expand", "return_url"})
            intent = call.account.get(call.match["id"], "setup intent", "intent")
            if not call.secret and call.params.get("client_secret") != intent["client_secret"]:
                raise missing("setup intent", call.match["id"], "intent")
            setup_confirm(call, intent)
            return self.out(call, intent)

        def pay(call: Call, intent: dict[str, Any]) -> None:
            method = state.method_from_params(call.account, call.params) or (
                state.payment_method(call.account, intent["payment_method"]) if intent["payment_method"] else None)
            if method is None:
                raise StripeFail(400, "You cannot confirm this PaymentIntent because it's missing a payment method.")
            if method.get("customer") and method["customer"] != intent.get("customer"):
                raise StripeFail(400, "The provided PaymentMethod belongs to a Customer; pass that Customer.",
                                 param="payment_method")
            if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
                raise StripeFail(400, f"This PaymentIntent's status is {intent['status']}; it cannot be confirmed.",
                                 code="payment_intent_unexpected_state")
            intent["payment_method"] = method["id"]
            charge = state.charge(call.account, intent, method)
            intent["latest_charge"] = charge["id"]
            if charge["status"] == "failed":
                intent["status"] = "requires_payment_method"
                intent["last_payment_error"] = {
                    "type": "card_error", "code": charge["failure_code"], "decline_code": charge["outcome"]["reason"],
                    "message": charge["failure_message"], "charge": charge["id"], "payment_method": export(method)}
                raise StripeFail(402, charge["failure_message"], type="card_error", code=charge["failure_code"],
                                 decline_code=charge["outcome"]["reason"], charge=charge["id"],
                                 payment_intent=export(intent), payment_method=export(method))
            intent["status"] = "succeeded"
            intent["amount_received"] = intent["amount"]
            intent["last_payment_error"] = None
            if intent.get("setup_future_usage") and intent.get("customer") and not method.get("customer"):
                method["customer"] = intent["customer"]

        @r("POST", "/v1/payment_intents")
        def intent_create(call: Call) -> Any:
            call.allow(PI_CREATE)
            p = call.params
            amount, currency = _int(p, "amount"), _currency(p)
            assert amount is not None
            if amount < 1:
                raise StripeFail(400, "Amount must be at least 1", param="amount", code="amount_too_small")
            if currency in THREE_DECIMAL and amount % 10:
                raise StripeFail(400, f"Amounts in {currency} must end in 0.", param="amount")
            if p.get("statement_descriptor"):
                raise StripeFail(400, "The `statement_descriptor` parameter is not supported for the `card` payment "
                                 "method type. Use `statement_descriptor_suffix` instead.",
                                 param="statement_descriptor")
            _descriptor(p.get("statement_descriptor_suffix"), "statement_descriptor_suffix")
            confirm = p.get("confirm") in ("true", True)
            if "off_session" in p and not confirm:
                raise StripeFail(400, "You can only pass in `off_session` when `confirm` is set to true.",
                                 param="off_session")
            destination = (p.get("transfer_data") or {}).get("destination")
            if destination:
                target = state.accounts.get(destination)
                if target is None or target.platform != call.account.id or target.revoked:
                    raise StripeFail(400, f"No such destination: '{destination}'", param="transfer_data[destination]")
            fee = _int(p, "application_fee_amount", required=False)
            if fee is not None:
                if call.account is call.caller and not destination:
                    raise StripeFail(400, "Can only apply an application_fee_amount when the PaymentIntent is "
                                     "attempting a direct payment (using an OAuth key or Stripe-Account header) or "
                                     "destination payment (using `transfer_data[destination]`).",
                                     param="application_fee_amount")
                if not 0 <= fee <= amount:
                    raise StripeFail(400, "application_fee_amount must be between 0 and amount.",
                                     param="application_fee_amount")
            if p.get("customer"):
                call.account.get(p["customer"], "customer", "customer")
            ident = new_id("pi")
            intent = call.account.add(template(
                "payment_intent", id=ident, client_secret=f"{ident}_secret_{new_id('s')}", amount=amount,
                currency=currency, amount_received=0, amount_capturable=0, created=int(time.time()),
                customer=p.get("customer"), description=p.get("description"), metadata=p.get("metadata") or {},
                application_fee_amount=fee, transfer_data={"destination": destination} if destination else None,
                payment_method=None, latest_charge=None, last_payment_error=None, next_action=None, canceled_at=None,
                setup_future_usage=p.get("setup_future_usage"), status="requires_payment_method",
                statement_descriptor_suffix=p.get("statement_descriptor_suffix"), processing=None,
                payment_method_types=p.get("payment_method_types") or ["card"], automatic_payment_methods=None,
                payment_method_configuration_details=None, capture_method="automatic",
            ))
            method = state.method_from_params(call.account, p)
            if method is not None:
                intent["payment_method"] = method["id"]
                intent["status"] = "requires_confirmation"
            if confirm:
                pay(call, intent)
            return self.out(call, intent)

        @r("GET", "/v1/payment_intents/search")
        def intent_search(call: Call) -> Any:
            call.allow({"query", "limit", "page", "expand"})
            key, value = search_metadata(call.params.get("query", ""))
            found = [obj for obj in call.account.objects.values()
                     if obj["object"] == "payment_intent" and (obj.get("metadata") or {}).get(key) == value]
            data = [export(obj, [p[5:] for p in call.expand if p.startswith("data.")], state, call.account)
                    for obj in found]
            return {"object": "search_result", "data": data, "has_more": False, "next_page": None,
                    "url": "/v1/payment_intents/search"}

        @publishable
        @r("GET", "/v1/payment_intents/(?P<id>pi_\\w+)")
        def intent_get(call: Call) -> Any:
            intent = call.account.get(call.match["id"], "payment_intent", "intent")
            if not call.secret and call.params.get("client_secret") != intent["client_secret"]:
                raise missing("payment_intent", call.match["id"], "intent")
            return self.out(call, intent)

        @publishable
        @r("POST", "/v1/payment_intents/(?P<id>pi_\\w+)/confirm")
        def intent_confirm(call: Call) -> Any:
            call.allow(PI_CONFIRM)
            intent = call.account.get(call.match["id"], "payment_intent", "intent")
            if not call.secret and call.params.get("client_secret") != intent["client_secret"]:
                raise missing("payment_intent", call.match["id"], "intent")
            if "setup_future_usage" in call.params:
                intent["setup_future_usage"] = call.params["setup_future_usage"] or None
            pay(call, intent)
            return self.out(call, intent)

        @r("GET", "/v1/charges/(?P<id>ch_\\w+)")
        def charge_get(call: Call) -> Any:
            call.allow({"expand"})
            return self.out(call, call.account.get(call.match["id"], "charge", "id"))

        @r("POST", "/v1/refunds")
        def refund_create(call: Call) -> Any:
            call.allow({"charge", "payment_intent", "amount", "metadata", "reason", "refund_application_fee",
                        "reverse_transfer", "expand"})
            return self.out(call, state.refund(call.account, call.params))

        @r("GET", "/v1/application_fees/(?P<id>fee_\\w+)")
        def fee_get(call: Call) -> Any:
            return self.out(call, call.account.get(call.match["id"], "application fee", "id"))

        @r("POST", "/v1/application_fees/(?P<id>fee_\\w+)/refunds")
        def fee_refund(call: Call) -> Any:
            call.allow({"amount", "metadata", "expand"})
            fee = call.account.get(call.match["id"], "application fee", "id")
            return self.out(call, state.fee_refund(call.account, fee, call.params))

        @r("POST", "/v1/payouts")
        def payout_create(call: Call) -> Any:
            call.allow({"amount", "currency", "description", "statement_descriptor", "metadata", "method",
                        "destination", "expand"})
            amount, currency = _int(call.params, "amount"), _currency(call.params)
            assert amount is not None
            _descriptor(call.params.get("statement_descriptor"), "statement_descriptor")
            if currency in ("huf", "twd") and amount % 100:
                raise StripeFail(400, f"Payouts in {currency} must be whole units (divisible by 100).",
                                 param="amount")
            if call.account.balance.get(currency, 0) < amount:
                raise StripeFail(400, "You have insufficient funds in your Stripe account for this transfer.",
                                 code="balance_insufficient")
            call.account.credit(currency, -amount)
            payout = call.account.add(template(
                "payout", id=new_id("po"), amount=amount, currency=currency, created=int(time.time()),
                arrival_date=int(time.time()) + 86400, automatic=False, description=call.params.get("description"),
                statement_descriptor=call.params.get("statement_descriptor"), status="pending",
                metadata=call.params.get("metadata") or {}, destination=(call.account.bank or {}).get("id"),
                balance_transaction=None, reconciliation_status="not_applicable",
            ))
            return self.out(call, payout)

        @r("GET", "/v1/payouts")
        def payout_list(call: Call) -> Any:
            call.allow({"status", "created", "limit", "starting_after", "arrival_date", "expand"})
            created = call.params.get("created") or {}
            items = [obj for obj in call.account.objects.values() if obj["object"] == "payout"]
            if call.params.get("status"):
                items = [obj for obj in items if obj["status"] == call.params["status"]]
            checks = {"gt": int.__gt__, "gte": int.__ge__, "lt": int.__lt__, "lte": int.__le__}
            for op, value in (created.items() if isinstance(created, dict) else []):
                items = [obj for obj in items if checks[op](obj["created"], int(value))]
            return self.listing(call, items, "/v1/payouts")

        @r("GET", "/v1/balance")
        def balance(call: Call) -> Any:
            available = [{"amount": amount, "currency": currency, "source_types": {"card": amount}}
                         for currency, amount in sorted(call.account.balance.items())]
            return template("balance", available=available or [
                {"amount": 0, "currency": call.account.default_currency, "source_types": {"card": 0}}],
                pending=[], connect_reserved=None)

        def account_out(account: Account) -> dict[str, Any]:
            banks = [account.bank] if account.bank else []
            return template("account", id=account.id, default_currency=account.default_currency,
                            external_accounts={"object": "list", "data": banks, "has_more": False,
                                               "url": f"/v1/accounts/{account.id}/external_accounts"})

        @r("GET", "/v1/account")
        def account_self(call: Call) -> Any:
            return account_out(call.account)

        @r("GET", "/v1/accounts/(?P<id>acct_\\w+)")
        def account_get(call: Call) -> Any:
            return account_out(state.target(call.caller, call.match["id"]))

        @r("POST", "/v1/accounts/(?P<id>acct_\\w+)")
        def account_update(call: Call) -> Any:
            call.allow({"external_account", "metadata", "expand"})
            account = state.target(call.caller, call.match["id"])
            token = call.params.get("external_account")
            if token:
                if not str(token).startswith("btok_"):
                    raise missing("token", str(token), "external_account")
                account.bank = template("bank_account", id=new_id("ba"), account=account.id,
                                        currency=account.default_currency, default_for_currency=True,
                                        last4="6789", bank_name="STRIPE TEST BANK")
            return account_out(account)

        @r("POST", "/oauth/token")
        def oauth_token(call: Call) -> Any:
            if call.params.get("grant_type") != "authorization_code":
                raise StripeFail(400, "unsupported_grant_type")
            ident = state.oauth_codes.pop(call.params.get("code", ""), None)
            if ident is None:
                raise OAuthFail("invalid_grant", f"Authorization code does not exist: {call.params.get('code')}")
            account = state.accounts[ident]
            account.revoked = False
            return {"access_token": account.secret_key, "livemode": False, "refresh_token": f"rt_{new_id('x')}",
                    "scope": "read_write", "stripe_publishable_key": account.publishable_key,
                    "stripe_user_id": account.id, "token_type": "bearer"}

        @r("POST", "/oauth/deauthorize")
        def oauth_deauthorize(call: Call) -> Any:
            if call.params.get("client_id") != state.client_id:
                raise OAuthFail("invalid_client", "No such application")
            account = state.accounts.get(call.params.get("stripe_user_id", ""))
            if account is None or account.platform != call.caller.id:
                raise OAuthFail("invalid_client", "This application is not connected to the account")
            account.revoked = True
            return {"stripe_user_id": account.id}


class OAuthFail(StripeFail):
    """OAuth errors have their own body: ``{"error": code, "error_description": text}``."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(400, description)
        self.body = {"error": code, "error_description": description}  # type: ignore[dict-item]
