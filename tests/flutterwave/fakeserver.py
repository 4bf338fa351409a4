"""A stateful fake of the Flutterwave v3 endpoints payproc calls.

Served by werkzeug on 127.0.0.1 (free port) in a thread. Written from
Flutterwave's v3 reference (developer.flutterwave.com, its v3 OpenAPI and the
official Node-v3 SDK's request schemas):

* every answer is the envelope ``{"status": "success"|"error", "message",
  "data"}`` (lists add ``meta.page_info``);
* every call needs ``Authorization: Bearer <secret key>``: a missing or wrong
  key is ``401 {"status": "error", "message": "Invalid authorization key",
  "data": null}``;
* ``GET /v3/transactions/{id}/verify`` and ``GET
  /v3/transactions/verify_by_reference?tx_ref=`` answer the transaction
  (``id``, ``tx_ref``, ``flw_ref``, ``amount``, ``currency``,
  ``charged_amount``, ``app_fee``, ``merchant_fee``, ``processor_response``,
  ``auth_model``, ``status``, ``payment_type``, ``created_at``,
  ``account_id``, ``auth_url``, ``customer``, ``card`` with its ``token``);
  an unknown one is ``400 "No transaction was found for this id"``;
* ``POST /v3/transactions/{id}/refund`` ``{"amount", "comments"}`` refunds a
  successful transaction (no idempotency key: each call is a new refund),
  refusing more than what is left; ``GET /v3/refunds`` (``from``, ``to``,
  ``currency``, ``status``, ``page``; 10 per page here) lists them;
* ``POST /v3/tokenized-charges`` needs ``token``, ``currency``, ``amount``,
  ``email`` (the one the card was first paid with), ``tx_ref``; a
  ``tx_ref`` already used is refused;
* ``POST /v3/payments`` needs ``tx_ref``, ``amount``, ``currency``,
  ``redirect_url`` and ``customer.email`` and answers the hosted link.

What the browser does (FlutterwaveCheckout, the hosted page, the 3-D Secure
page) is the test-only :meth:`FakeFlutterwave.pay`, with Flutterwave's
documented test cards: ``5531886652142950`` pays, ``5258585922666506`` is
declined (insufficient funds), ``4187427415564246`` needs 3-D Secure (the
transaction stays ``pending`` with an ``auth_url`` until
:meth:`FakeFlutterwave.authenticate` passes or fails the challenge).
Faults (an HTTP status, a non-JSON body, a delay) are queued per route,
before the operation (nothing happens) or after it (the operation happened
and its answer is lost).
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

#: Routes, as fault keys.
VERIFY, VERIFY_BY_REF, REFUND, REFUNDS, TOKENIZED, PAYMENTS, TRANSACTIONS = (
    "verify", "verify_by_reference", "refund", "refunds", "tokenized-charges", "payments", "transactions")

#: The fake account's keys (shaped like Flutterwave's test keys) and secret hash.
PUB_KEY = "FLWPUBK_TEST-0123456789abcdef0123456789abcdef-X"
SEC_KEY = "FLWSECK_TEST-fedcba9876543210fedcba9876543210-X"
WEBHOOK_HASH = "a-secret-hash-only-we-and-flutterwave-know"

#: Flutterwave's fee here: 1.4 % (its local-card rate).
FEE_RATE = Decimal("0.014")
PAGE_SIZE = 10

#: Flutterwave's documented test cards -> (brand, behaviour).
CARDS = {
    "5531886652142950": ("MASTERCARD", "success"),
    "5258585922666506": ("MASTERCARD", "insufficient_funds"),
    "4187427415564246": ("VISA", "3ds"),
}
SUCCESS_CARD, DECLINED_CARD, THREE_DS_CARD = CARDS


def _number(value: Decimal) -> Any:
    """A Decimal as a JSON number whose text is the exact decimal."""
    return int(value) if value == value.to_integral_value() else float(value)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _minor_digits(currency: str) -> int:
    return {"JPY": 0, "KWD": 3, "BHD": 3, "UGX": 0, "RWF": 0, "XAF": 0, "XOF": 0}.get(currency, 2)


@dataclass
class Fault:
    status: int = 504
    body: Any = "<html><body>504 Gateway Time-out</body></html>"  # dict (JSON) or str (raw)
    delay: float = 0.0
    times: int = 1
    after: bool = False  # the operation happens, then its answer is replaced


@dataclass
class FakeTransaction:
    id: int
    tx_ref: str
    flw_ref: str
    amount: Decimal
    currency: str
    status: str
    card_number: str
    email: str
    name: str
    processor_response: str
    app_fee: Decimal
    created_at: str
    token: str | None = None
    auth_url: str | None = None
    payment_type: str = "card"
    refunds: list[dict[str, Any]] = field(default_factory=list)
    #: Fields reported differently (a test stages what Flutterwave says).
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def refunded(self) -> Decimal:
        return sum((Decimal(str(r["amount_refunded"])) for r in self.refunds), Decimal(0))

    def data(self) -> dict[str, Any]:
        brand, _ = CARDS.get(self.card_number, ("MASTERCARD", "success"))
        return {
            "id": self.id,
            "tx_ref": self.tx_ref,
            "flw_ref": self.flw_ref,
            "device_fingerprint": "N/A",
            "amount": _number(self.amount),
            "currency": self.currency,
            "charged_amount": _number(self.amount),
            "app_fee": _number(self.app_fee),
            "merchant_fee": 0,
            "processor_response": self.processor_response,
            "auth_model": "VBVSECURECODE" if CARDS.get(self.card_number, ("", ""))[1] == "3ds" else "PIN",
            "ip": "127.0.0.1",
            "narration": "CARD Transaction ",
            "status": self.status,
            "payment_type": self.payment_type,
            "created_at": self.created_at,
            "account_id": 17321,
            "auth_url": self.auth_url or "N/A",
            "customer": {"id": 215604089, "name": self.name, "phone_number": "N/A", "email": self.email,
                         "created_at": self.created_at},
            "card": {"first_6digits": self.card_number[:6], "last_4digits": self.card_number[-4:],
                     "issuer": f"{brand} ACCESS BANK PLC CREDIT", "country": "NG", "type": brand,
                     "token": self.token, "expiry": "09/32"},
        } | self.overrides


class FakeFlutterwave:
    """The fake's state and its WSGI application."""

    def __init__(self, public_key: str, secret_key: str) -> None:
        self.public_key = public_key
        self.secret_key = secret_key
        self.url = "http://127.0.0.1/"
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.transactions: dict[int, FakeTransaction] = {}
            self.tokens: dict[str, tuple[str, str, str]] = {}  # token -> (card, email, name)
            self.declining_tokens: set[str] = set()
            self.links: dict[str, dict[str, Any]] = {}
            self.faults: dict[str, list[Fault]] = {}
            self.calls: list[tuple[str, str]] = []  # (method, route) of every API call
            self.ids = itertools.count(4_100_001)
            self.refund_ids = itertools.count(75_001)

    # --- the browser and the backdoor (test-only) ---------------------------

    def pay(self, tx_ref: str, amount: Decimal | str, currency: str, *, card: str = SUCCESS_CARD,
            email: str = "xia@example.com", name: str = "Xia Lee") -> FakeTransaction:
        """What FlutterwaveCheckout or the hosted page does when the customer
        pays ``amount`` ``currency`` under ``tx_ref`` with ``card``."""
        _brand, behaviour = CARDS[card]
        status, response, auth_url = {
            "success": ("successful", "Approved by Financial Institution", None),
            "insufficient_funds": ("failed", "Insufficient funds", None),
            "3ds": ("pending", "Pending validation", "challenge"),
        }[behaviour]
        return self._create(tx_ref, Decimal(str(amount)), currency.upper(), status, card, email, name, response,
                            three_ds=auth_url is not None)

    def _create(self, tx_ref: str, amount: Decimal, currency: str, status: str, card: str, email: str, name: str,
                response: str, *, three_ds: bool = False, token: str | None = None) -> FakeTransaction:
        with self.lock:
            ident = next(self.ids)
            quantum = Decimal(1).scaleb(-_minor_digits(currency))
            transaction = FakeTransaction(
                id=ident, tx_ref=tx_ref, flw_ref=f"FLW-MOCK-{secrets.token_hex(16)}", amount=amount,
                currency=currency, status=status, card_number=card, email=email, name=name,
                processor_response=response,
                app_fee=(amount * FEE_RATE).quantize(quantum, rounding=ROUND_HALF_UP), created_at=_now(),
            )
            if three_ds:
                transaction.auth_url = f"{self.url}3ds/challenge/{ident}"
            if status == "successful":
                transaction.token = token or self._new_token(card, email, name)
            self.transactions[ident] = transaction
            return transaction

    def _new_token(self, card: str, email: str, name: str) -> str:
        token = f"flw-t1nf-{secrets.token_hex(16)}-m03k"
        self.tokens[token] = (card, email, name)
        return token

    def authenticate(self, transaction_id: int, *, passed: bool = True) -> FakeTransaction:
        """The customer answers the 3-D Secure challenge."""
        with self.lock:
            transaction = self.transactions[transaction_id]
            assert transaction.status == "pending" and transaction.auth_url
            transaction.auth_url = None
            if passed:
                transaction.status, transaction.processor_response = "successful", "Approved. Successful"
                transaction.token = self._new_token(transaction.card_number, transaction.email, transaction.name)
            else:
                transaction.status, transaction.processor_response = "failed", "Authentication failed"
            return transaction

    def by_ref(self, tx_ref: str) -> list[FakeTransaction]:
        with self.lock:
            return [t for t in self.transactions.values() if t.tx_ref == tx_ref]

    def refunds(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r for t in self.transactions.values() for r in t.refunds]

    def add_fault(self, route: str, fault: Fault) -> None:
        with self.lock:
            self.faults.setdefault(route, []).append(fault)

    def count(self, route: str, method: str | None = None) -> int:
        with self.lock:
            return sum(1 for m, r in self.calls if r == route and (method is None or m == method))

    # --- HTTP -----------------------------------------------------------------

    def _take_fault(self, route: str) -> Fault | None:
        with self.lock:
            queue = self.faults.get(route) or []
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.pop(0)
            return fault

    @staticmethod
    def _json(status: int, document: Any) -> Response:
        return Response(json.dumps(document), status=status, mimetype="application/json")

    def _error(self, status: int, message: str) -> Response:
        return self._json(status, {"status": "error", "message": message, "data": None})

    @staticmethod
    def _fault_response(fault: Fault) -> Response:
        if isinstance(fault.body, str):
            return Response(fault.body, status=fault.status, mimetype="text/html")
        return Response(json.dumps(fault.body), status=fault.status, mimetype="application/json")

    _ROUTES = (
        ("GET", re.compile(r"^/v3/transactions/(\d+)/verify$"), VERIFY),
        ("GET", re.compile(r"^/v3/transactions/verify_by_reference$"), VERIFY_BY_REF),
        ("POST", re.compile(r"^/v3/transactions/(\d+)/refund$"), REFUND),
        ("GET", re.compile(r"^/v3/refunds$"), REFUNDS),
        ("GET", re.compile(r"^/v3/transactions$"), TRANSACTIONS),
        ("POST", re.compile(r"^/v3/tokenized-charges$"), TOKENIZED),
        ("POST", re.compile(r"^/v3/payments$"), PAYMENTS),
    )

    def __call__(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        return self.dispatch(request)(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        found = [(route, match) for method, pattern, route in self._ROUTES
                 if request.method == method and (match := pattern.match(request.path))]
        if not found:
            return self._error(404, f"no route {request.method} {request.path}")
        [(route, match)] = found
        with self.lock:
            self.calls.append((request.method, route))
        if request.headers.get("Authorization") != f"Bearer {self.secret_key}":
            return self._error(401, "Invalid authorization key")
        fault = self._take_fault(route)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and not fault.after:
            return self._fault_response(fault)
        body: dict[str, Any] = {}
        if request.method == "POST":
            if request.mimetype != "application/json":
                return self._error(400, "Content-Type must be application/json")
            try:
                body = json.loads(request.get_data(), parse_float=Decimal)
            except ValueError:
                return self._error(400, "Invalid JSON body")
            if not isinstance(body, dict):
                return self._error(400, "Invalid JSON body")
        handler = getattr(self, "_" + route.replace("-", "_"))
        response: Response = handler(request, body, *match.groups())
        if fault is not None:  # after: it happened, the answer is lost
            return self._fault_response(fault)
        return response

    # --- the endpoints --------------------------------------------------------

    def _found(self, transaction: FakeTransaction | None) -> Response:
        if transaction is None:
            return self._error(400, "No transaction was found for this id")
        return self._json(200, {"status": "success", "message": "Transaction fetched successfully",
                                "data": transaction.data()})

    def _verify(self, request: Request, body: dict[str, Any], ident: str) -> Response:
        with self.lock:
            return self._found(self.transactions.get(int(ident)))

    def _verify_by_reference(self, request: Request, body: dict[str, Any]) -> Response:
        tx_ref = request.args.get("tx_ref")
        if not tx_ref:
            return self._error(400, "tx_ref is required")
        found = self.by_ref(tx_ref)
        return self._found(found[-1] if found else None)

    def _refund(self, request: Request, body: dict[str, Any], ident: str) -> Response:
        with self.lock:
            transaction = self.transactions.get(int(ident))
            if transaction is None:
                return self._error(400, "No transaction was found for this id")
            if transaction.status != "successful":
                return self._error(400, "Only successful transactions can be refunded")
            left = transaction.amount - transaction.refunded
            raw = body.get("amount")
            try:
                amount = left if raw is None else Decimal(str(raw))
            except InvalidOperation:
                return self._error(400, "amount must be a number")
            quantum = Decimal(1).scaleb(-_minor_digits(transaction.currency))
            if not amount.is_finite() or amount <= 0 or amount != amount.quantize(quantum):
                return self._error(400, "Invalid refund amount")
            if amount > left:
                return self._error(400, "Refund amount cannot be greater than the transaction amount left")
            record = {
                "id": next(self.refund_ids), "account_id": 17321, "tx_id": transaction.id,
                "flw_ref": f"URF_{int(time.time() * 1000)}_{transaction.id}", "wallet_id": 74639,
                "amount_refunded": _number(amount), "status": "completed", "destination": "payment_source",
                "comments": str(body.get("comments") or ""), "meta": {"source": "availablebalance"},
                "created_at": _now(), "currency": transaction.currency,
            }
            transaction.refunds.append(record)
        return self._json(200, {"status": "success", "message": "Transaction refund initiated", "data": record})

    def _page(self, request: Request, records: list[dict[str, Any]], message: str) -> Response:
        """One page of ``records`` filtered by the documented list filters
        (``from``/``to`` days of ``created_at``, ``currency``, ``status``)."""
        try:
            since = date.fromisoformat(request.args["from"]) if "from" in request.args else date.min
            until = date.fromisoformat(request.args["to"]) if "to" in request.args else date.max
            page = int(request.args.get("page", "1"))
        except ValueError:
            return self._error(400, "from and to must be dates (YYYY-MM-DD), page a number")
        if page < 1:
            return self._error(400, "page must be 1 or more")
        currency, status = request.args.get("currency"), request.args.get("status")
        listed = []
        for record in records:
            created = datetime.strptime(record["created_at"], "%Y-%m-%dT%H:%M:%S.000Z").date()
            if not since <= created <= until or (currency and record["currency"] != currency.upper()):
                continue
            if status and record["status"] != status:
                continue
            listed.append(record)
        pages = max((len(listed) + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        chunk = listed[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
        return self._json(200, {"status": "success", "message": message,
                                "meta": {"page_info": {"total": len(listed), "current_page": page,
                                                       "total_pages": pages, "page_size": PAGE_SIZE}},
                                "data": chunk})

    def _refunds(self, request: Request, body: dict[str, Any]) -> Response:
        records = [{key: value for key, value in record.items() if key != "tx_id"} | {"transaction_id": record["tx_id"]}
                   for record in self.refunds()]
        return self._page(request, records, "Refunds fetched")

    def _transactions(self, request: Request, body: dict[str, Any]) -> Response:
        with self.lock:
            records = [transaction.data() for transaction in self.transactions.values()]
        return self._page(request, records, "Transactions fetched")

    @staticmethod
    def _amount(body: dict[str, Any], currency: str) -> Decimal | None:
        raw = body.get("amount")
        if isinstance(raw, bool) or not isinstance(raw, (int, Decimal, str)):
            return None
        try:
            amount = Decimal(str(raw))
        except InvalidOperation:
            return None
        quantum = Decimal(1).scaleb(-_minor_digits(currency))
        if not amount.is_finite() or amount <= 0 or amount != amount.quantize(quantum):
            return None
        return amount

    def _missing(self, body: dict[str, Any], names: tuple[str, ...]) -> Response | None:
        for name in names:
            if body.get(name) in (None, ""):
                return self._error(400, f"{name} is required")
        currency = str(body.get("currency", ""))
        if not re.fullmatch(r"[A-Z]{3}", currency):
            return self._error(400, "currency must be a 3-letter upper-case code")
        if self._amount(body, currency) is None:
            return self._error(400, "amount must be a positive number in the currency's unit")
        if len(str(body.get("tx_ref"))) > 100:
            return self._error(400, "tx_ref must be at most 100 characters")
        return None

    def _tokenized_charges(self, request: Request, body: dict[str, Any]) -> Response:
        refused = self._missing(body, ("token", "currency", "amount", "email", "tx_ref"))
        if refused is not None:
            return refused
        token, tx_ref, currency = str(body["token"]), str(body["tx_ref"]), str(body["currency"])
        with self.lock:
            known = self.tokens.get(token)
            declining = token in self.declining_tokens
        if known is None:
            return self._error(400, "Token not found")
        card, email, name = known
        if str(body["email"]).lower() != email.lower():
            return self._error(400, "Email does not match the email used to tokenize this card")
        if self.by_ref(tx_ref):
            return self._error(400, "Duplicate transaction reference (tx_ref)")
        amount = self._amount(body, currency)
        assert amount is not None
        if declining:
            failed = self._create(tx_ref, amount, currency, "failed", card, email, name, "Insufficient funds")
            return self._json(400, {"status": "error", "message": "Insufficient funds", "data": failed.data()})
        charged = self._create(tx_ref, amount, currency, "successful", card, email, name, "Approved", token=token)
        return self._json(200, {"status": "success", "message": "Charge successful", "data": charged.data()})

    def _payments(self, request: Request, body: dict[str, Any]) -> Response:
        refused = self._missing(body, ("tx_ref", "amount", "currency", "redirect_url"))
        if refused is not None:
            return refused
        customer = body.get("customer")
        if not isinstance(customer, dict) or not customer.get("email"):
            return self._error(400, "customer.email is required")
        if not str(body["redirect_url"]).startswith(("http://", "https://")):
            return self._error(400, "redirect_url must be a URL")
        code = secrets.token_hex(8)
        with self.lock:
            self.links[code] = dict(body)
        return self._json(200, {"status": "success", "message": "Hosted Link",
                                "data": {"link": f"{self.url}v3/hosted/pay/{code}"}})

    def hosted(self, link: str) -> dict[str, Any]:
        """The payment a hosted link was created for (what the page shows)."""
        code = link.rstrip("/").rsplit("/", 1)[-1]
        with self.lock:
            return dict(self.links[code])


class FakeServer:
    """Runs a :class:`FakeFlutterwave` on 127.0.0.1 in a daemon thread."""

    def __init__(self, app: FakeFlutterwave) -> None:
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}/"
        app.url = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-flutterwave-v3", daemon=True)

    def __enter__(self) -> FakeServer:  # noqa: PYI034 (typing.Self is 3.11+)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

