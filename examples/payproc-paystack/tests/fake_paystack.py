"""A small fake of Paystack's API on 127.0.0.1, for the tests.

It covers what the backend calls: ``POST /transaction/initialize``,
``GET /transaction/verify/<reference>`` and ``POST /refund``, with Paystack's
envelope (``{"status": ..., "message": ..., "data": ...}``) and bearer-key
check. What the Popup does in the browser is :meth:`FakePaystack.pay` (the
harness calls it): the payer's card succeeds, is declined, or succeeds while
the next verification's answer is lost (504).
"""

from __future__ import annotations

import itertools
import json
import threading
from datetime import datetime, timezone
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

__all__ = ["FakePaystack"]

_ids = itertools.count(4_000_001)


def _answer(status: int, data: Any = None, message: str = "ok") -> Response:
    body = {"status": status < 400, "message": message, "data": data}
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


class FakePaystack:
    """The fake server; ``transactions`` (by reference) is the backdoor."""

    def __init__(self, secret_key: str) -> None:
        self.secret_key = secret_key
        self.transactions: dict[str, dict[str, Any]] = {}
        self._lose_next_verify: set[str] = set()
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> FakePaystack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    # --- what the Popup does in the browser --------------------------------------

    def pay(self, access_code: str, outcome: str) -> str:
        """Pay the transaction behind ``access_code``; returns its reference."""
        with self._lock:
            (found,) = [t for t in self.transactions.values() if t["access_code"] == access_code]
            found["status"] = "failed" if outcome == "decline" else "success"
            found["gateway_response"] = "Declined" if outcome == "decline" else "Approved"
            found["paid_at"] = _now()
            found["authorization"] = {"last4": "4081", "exp_month": "12", "exp_year": "2030",
                                      "brand": "visa", "card_type": "visa ", "account_name": None}
            if outcome == "unknown":
                self._lose_next_verify.add(found["reference"])
            return str(found["reference"])

    # --- the API --------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self._handle(Request(environ))(environ, start_response)

    def _handle(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {self.secret_key}":
            return _answer(401, message="Invalid key")
        with self._lock:
            if request.method == "POST" and request.path == "/transaction/initialize":
                return self._initialize(request.get_json())
            if request.method == "GET" and request.path.startswith("/transaction/verify/"):
                return self._verify(request.path.rsplit("/", 1)[1])
            if request.method == "POST" and request.path == "/refund":
                return self._refund(request.get_json())
        return _answer(404, message="Not found")

    def _initialize(self, data: dict[str, Any]) -> Response:
        reference = str(data["reference"])
        found = self.transactions.get(reference)
        if found is None:
            found = self.transactions[reference] = {
                "id": next(_ids), "reference": reference, "amount": int(data["amount"]),
                "currency": str(data.get("currency") or "NGN"), "status": "abandoned", "amount_refunded": 0,
                "access_code": f"ac_{reference[-10:]}", "created_at": _now(), "paid_at": None,
                "gateway_response": None, "authorization": {},
            }
        elif found["amount"] != int(data["amount"]):
            return _answer(400, message="Duplicate Transaction Reference")
        return _answer(200, {"authorization_url": f"{self.url}/pay/{found['access_code']}",
                             "access_code": found["access_code"], "reference": reference})

    def _verify(self, reference: str) -> Response:
        found = self.transactions.get(reference)
        if found is None:
            return _answer(400, message="Transaction reference not found")
        if reference in self._lose_next_verify:
            self._lose_next_verify.discard(reference)
            return Response("upstream timed out", status=504)
        return _answer(200, dict(found), "Verification successful")

    def _refund(self, data: dict[str, Any]) -> Response:
        key = str(data.get("transaction"))
        found = self.transactions.get(key) or next(
            (t for t in self.transactions.values() if str(t["id"]) == key), None)
        amount = int(data.get("amount") or 0)
        if found is None or found["status"] != "success":
            return _answer(400, message="Transaction not found or not successful")
        if not 0 < amount <= found["amount"] - found["amount_refunded"]:
            return _answer(400, message="Refund amount cannot be more than the unrefunded amount")
        found["amount_refunded"] += amount
        refund = {"id": next(_ids), "amount": amount, "currency": found["currency"], "status": "pending",
                  "transaction": {"id": found["id"], "reference": found["reference"]}, "createdAt": _now()}
        return _answer(200, refund, "Refund has been queued for processing")
