"""A stateful fake of the Flutterwave v2 endpoints rave_python 1.5 calls.

Served by werkzeug on 127.0.0.1 (free port) in a thread. Payloads follow
Flutterwave's v2 documentation:

* ``POST /flwv3-pug/getpaidx/api/v2/verify`` ``{"txref", "SECKEY"}`` — the
  transaction under ``data`` with the documented lower-case names (``txref``,
  ``flwref``, ``txid``, ``amount``, ``currency``, ``chargedamount``,
  ``appfee``, ``merchantbearsfee``, ``chargecode``, ``chargemessage``,
  ``status``, ``paymenttype``, ``created``, ``card`` {``last4digits``,
  ``expirymonth``, ``expiryyear``, ``type``, ``card_tokens``}…). Unknown
  ``txref``: 400 ``{"status": "error", "message": "No transaction found",
  "data": {"code": "NO TX", …}}``; wrong key: 401 with ``"data": null``.
* ``POST /gpx/merchant/transactions/refund`` ``{"ref", "seckey", "amount"}``
  — ``data`` {``id``, ``AmountRefunded``, ``FlwRef``, ``TransactionId``,
  ``walletId``, ``AccountId``, ``status``, ``createdAt``, ``updatedAt``}.
* ``GET /flwv3-pug/getpaidx/api/mercinfo`` — the SDK's identity look-up;
  answered and counted so a test can prove payproc never calls it.

Test-only backdoor under ``/__backdoor/``: create a transaction as
Flutterwave Inline would, list transactions and refunds, and queue faults
(an HTTP status, a non-JSON body, a ``"data": null`` body, the SDK's own
field names, or a delay) for the next calls to an endpoint.
"""

from __future__ import annotations

import itertools
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from werkzeug.wrappers import Request, Response

VERIFY = "/flwv3-pug/getpaidx/api/v2/verify"
REFUND = "/gpx/merchant/transactions/refund"
MERCINFO = "/flwv3-pug/getpaidx/api/mercinfo"

#: The fake account's keys (shaped like Flutterwave's test keys) and secret hash.
PUB_KEY = "FLWPUBK_TEST-0123456789abcdef0123456789abcdef-X"
SEC_KEY = "FLWSECK_TEST-fedcba9876543210fedcba9876543210-X"
WEBHOOK_HASH = "a-secret-hash-only-we-and-flutterwave-know"

#: The fee the fake charges: 1.4 % (Flutterwave's local-card rate).
FEE_RATE = Decimal("0.014")


def _number(value: Decimal) -> Any:
    """A Decimal as a JSON number whose text is the exact decimal (the
    shortest float repr of a decimal with few digits is that decimal)."""
    return int(value) if value == value.to_integral_value() else float(value)


@dataclass
class Fault:
    status: int = 200
    body: Any = None  # dict (JSON), str (raw text) or None (normal answer)
    delay: float = 0.0
    times: int = 1
    sdk_names: bool = False  # answer with the field names rave_python reads


@dataclass
class FakeTransaction:
    txid: int
    txref: str
    flwref: str
    amount: Decimal
    currency: str
    status: str = "successful"
    chargecode: str = "00"
    chargemessage: str = "Approved. Successful"
    appfee: Decimal = Decimal(0)
    merchantbearsfee: int = 1
    created: str = ""
    refunds: list[dict[str, Any]] = field(default_factory=list)

    @property
    def refunded(self) -> Decimal:
        return sum((Decimal(str(r["AmountRefunded"])) for r in self.refunds), Decimal(0))

    def verify_data(self, *, sdk_names: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "txid": self.txid,
            "txref": self.txref,
            "flwref": self.flwref,
            "devicefingerprint": "69e6b7f0b72037aa8428b70fbe03986c",
            "cycle": "one-time",
            "amount": _number(self.amount),
            "currency": self.currency,
            "chargedamount": _number(self.amount if self.merchantbearsfee else self.amount + self.appfee),
            "appfee": _number(self.appfee),
            "merchantfee": 0,
            "merchantbearsfee": self.merchantbearsfee,
            "chargecode": self.chargecode,
            "chargemessage": self.chargemessage,
            "authmodel": "PIN",
            "ip": "127.0.0.1",
            "narration": "CARD Transaction ",
            "status": self.status,
            "vbvcode": "00",
            "vbvmessage": "Approved. Successful",
            "authurl": "N/A",
            "acctcode": None,
            "acctmessage": None,
            "paymenttype": "card",
            "paymentid": "861",
            "fraudstatus": "ok",
            "chargetype": "normal",
            "created": self.created,
            "customerid": 40,
            "custphone": None,
            "custnetworkprovider": "N/A",
            "custname": "Joe Test",
            "custemail": "joe@example.com",
            "orderref": f"URF_{self.txid}",
            "paymentplan": None,
            "paymentpage": None,
            "raveref": f"RV{self.txid}",
            "amountsettledforthistransaction": _number(self.amount - self.appfee),
            "card": {
                "expirymonth": "09",
                "expiryyear": "32",
                "cardBIN": "553188",
                "last4digits": "2950",
                "brand": "MASHREQ BANK CREDITSTANDARD",
                "issuing_country": "NG",
                "card_tokens": [{"embedtoken": f"flw-t1nf-{self.txid}-m03k", "shortcode": "671c0", "expiry": "9999999999999"}],
                "type": "MASTERCARD",
                "life_time_token": f"flw-t1nf-{self.txid}-m03k",
            },
            "meta": [],
        }
        if sdk_names:  # what rave_python 1.5 expects: snake_case v3-like names
            for documented, sdk in (("txref", "tx_ref"), ("flwref", "flw_ref"), ("chargedamount", "charged_amount"),
                                    ("currency", "transaction_currency"), ("paymenttype", "payment_entity")):
                data[sdk] = data.pop(documented)
        return data

    def backdoor(self) -> dict[str, Any]:
        return {
            "id": self.txid, "txref": self.txref, "flwref": self.flwref, "amount": str(self.amount),
            "currency": self.currency, "status": self.status, "chargecode": self.chargecode,
            "appfee": str(self.appfee), "refunded": str(self.refunded), "refunds": list(self.refunds),
        }


class FakeFlutterwave:
    """The fake's state and its WSGI application."""

    def __init__(self, public_key: str, secret_key: str) -> None:
        self.public_key = public_key
        self.secret_key = secret_key
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.transactions: dict[str, FakeTransaction] = {}
            self.faults: dict[str, list[Fault]] = {}
            self.calls: list[tuple[str, str]] = []  # (method, path) of every call
            self.ids = itertools.count(1_000_001)

    # --- backdoor (also used directly by the harness) -------------------------

    def create_transaction(self, txref: str, amount: Decimal | str, currency: str, *, status: str = "successful",
                           chargecode: str | None = None, chargemessage: str | None = None,
                           merchantbearsfee: int = 1) -> FakeTransaction:
        amount = Decimal(str(amount))
        with self.lock:
            txid = next(self.ids)
            failed = status != "successful"
            transaction = FakeTransaction(
                txid=txid,
                txref=txref,
                flwref=f"FLW-MOCK-{txid:x}{abs(hash(txref)) % 10**8:08d}",
                amount=amount,
                currency=currency.upper(),
                status=status,
                chargecode=chargecode or ("05" if failed else "00"),
                chargemessage=chargemessage or ("Declined" if failed else "Approved. Successful"),
                appfee=(amount * FEE_RATE).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
                merchantbearsfee=merchantbearsfee,
                created=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            )
            self.transactions[txref] = transaction
            return transaction

    def add_fault(self, path: str, fault: Fault) -> None:
        with self.lock:
            self.faults.setdefault(path, []).append(fault)

    def by_flwref(self, flwref: str) -> FakeTransaction | None:
        with self.lock:
            return next((t for t in self.transactions.values() if t.flwref == flwref), None)

    def count(self, path: str) -> int:
        with self.lock:
            return sum(1 for _, p in self.calls if p == path)

    # --- HTTP -----------------------------------------------------------------

    def _take_fault(self, path: str) -> Fault | None:
        with self.lock:
            queue = self.faults.get(path) or []
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

    def __call__(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        with self.lock:
            self.calls.append((request.method, request.path))
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path = request.path
        fault = self._take_fault(path)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.body is not None:
                if isinstance(fault.body, str):
                    return Response(fault.body, status=fault.status, mimetype="text/html")
                return self._json(fault.status, fault.body)
        sdk_names = bool(fault and fault.sdk_names)
        body = request.get_json(silent=True) or {}
        if path == VERIFY and request.method == "POST":
            return self.verify(body, sdk_names=sdk_names)
        if path == REFUND and request.method == "POST":
            return self.refund(body)
        if path == MERCINFO:
            return self._json(200, {"mn": "fake-merchant"})
        if path == "/__backdoor/transactions" and request.method == "POST":
            created = self.create_transaction(
                body["txref"], body["amount"], body["currency"], status=body.get("status", "successful"),
                chargecode=body.get("chargecode"), chargemessage=body.get("chargemessage"),
            )
            return self._json(201, created.backdoor())
        if path == "/__backdoor/transactions":
            with self.lock:
                return self._json(200, [t.backdoor() for t in self.transactions.values()])
        return self._json(404, {"status": "error", "message": f"no route {request.method} {path}", "data": None})

    def _auth_error(self) -> Response:
        return self._json(401, {"status": "error", "message": "Invalid secret key passed", "data": None})

    def verify(self, body: dict[str, Any], *, sdk_names: bool) -> Response:
        if body.get("SECKEY") != self.secret_key:
            return self._auth_error()
        with self.lock:
            transaction = self.transactions.get(str(body.get("txref")))
        if transaction is None:
            return self._json(400, {"status": "error", "message": "No transaction found",
                                    "data": {"code": "NO TX", "message": "No transaction found"}})
        return self._json(200, {"status": "success", "message": "Tx Fetched",
                                "data": transaction.verify_data(sdk_names=sdk_names)})

    def refund(self, body: dict[str, Any]) -> Response:
        if body.get("seckey") != self.secret_key:
            return self._auth_error()
        transaction = self.by_flwref(str(body.get("ref")))
        if transaction is None:
            return self._json(400, {"status": "error", "message": "Transaction not found", "data": None})
        if transaction.status != "successful":
            return self._json(400, {"status": "error", "message": "Only successful transactions can be refunded", "data": None})
        try:
            amount = Decimal(str(body["amount"])) if body.get("amount") is not None else transaction.amount - transaction.refunded
        except ArithmeticError:
            return self._json(400, {"status": "error", "message": "Invalid amount", "data": None})
        with self.lock:
            if amount <= 0 or amount > transaction.amount - transaction.refunded:
                return self._json(400, {"status": "error", "message": "Refund amount exceeds the amount left", "data": None})
            now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            record = {
                "AmountRefunded": _number(amount),
                "walletId": 27,
                "createdAt": now,
                "AccountId": 1023,
                "id": next(self.ids),
                "FlwRef": transaction.flwref,
                "TransactionId": transaction.txid,
                "status": "completed",
                "updatedAt": now,
            }
            transaction.refunds.append(record)
        return self._json(200, {"status": "success", "message": "Refunded", "data": record})


#: The same runner as the v3 fake's (127.0.0.1, free port, daemon thread).
FakeServer = sys.modules["payproc_flutterwave_tests_fakeserver"].FakeServer
