"""A small fake of Paystack's HTTP API, on 127.0.0.1, for the tests.

It keeps charges and refunds in memory and decides outcomes by token, like
the processor's test mode: ``tok_visa`` (and any other ``tok_…``) succeeds,
``tok_decline`` is declined (402, a failed charge is recorded),
``tok_timeout`` makes the charge and then answers 504 (the answer is lost; a
retry with the same ``Idempotency-Key`` gets the charge). Requests with the
same ``Idempotency-Key`` replay the first answer. Replace it with a fake of
the processor's real API as you replace ``client.py``.
"""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

__all__ = ["FakeServer"]

_ids = itertools.count(1)


def _json(status: int, body: Any) -> Response:
    import json

    return Response(json.dumps(body), status=status, mimetype="application/json")


class FakeServer:
    """The fake processor; ``charges`` is the backdoor the harness reads."""

    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.charges: dict[str, dict[str, Any]] = {}
        self._replies: dict[str, tuple[int, Any]] = {}
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> FakeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    # --- the API --------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self._handle(Request(environ))(environ, start_response)

    def _handle(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _json(401, {"error": {"code": "invalid_api_key", "message": "Invalid API key"}})
        parts = request.path.strip("/").split("/")
        with self._lock:
            key = request.headers.get("Idempotency-Key")
            if request.method == "POST" and key and key in self._replies:
                status, body = self._replies[key]
                return _json(200 if status == 504 else status, body)
            if request.method == "POST" and parts == ["v1", "charges"]:
                status, body, reply = self._create_charge(request.get_json(), key)
            elif request.method == "POST" and len(parts) == 4 and parts[3] == "refunds":
                status, body, reply = self._refund(parts[2], request.get_json())
            elif request.method == "GET" and parts == ["v1", "charges"]:
                wanted = request.args.get("idempotency_key")
                found = [c for c in self.charges.values() if c["idempotency_key"] == wanted]
                return _json(200, {"data": found})
            elif request.method == "GET" and len(parts) == 3 and parts[2] in self.charges:
                return _json(200, self.charges[parts[2]])
            else:
                return _json(404, {"error": {"code": "not_found", "message": "No such resource"}})
            if key and (status < 500 or status == 504):
                self._replies[key] = (status, reply)
        return _json(status, body)

    def _create_charge(self, data: dict[str, Any], key: str | None) -> tuple[int, Any, Any]:
        token = str(data.get("token") or "")
        if not token.startswith("tok_"):
            error = {"error": {"code": "invalid_token", "message": "No such token"}}
            return 400, error, error
        charge = {
            "id": f"ch_{next(_ids):06d}", "amount": int(data["amount"]), "currency": data["currency"],
            "status": "failed" if token == "tok_decline" else "succeeded", "amount_refunded": 0,
            "created": int(time.time()), "idempotency_key": key,
            "card": {"last4": "4242", "brand": "visa", "name": "Joe Test"},
            "failure_code": "card_declined" if token == "tok_decline" else None,
        }
        self.charges[charge["id"]] = charge
        if token == "tok_decline":
            error = {"error": {"code": "card_declined", "message": "Your card was declined.", "charge": charge["id"]}}
            return 402, error, error
        if token == "tok_timeout":
            return 504, {"error": {"message": "gateway timeout"}}, charge
        return 200, charge, charge

    def _refund(self, charge_id: str, data: dict[str, Any]) -> tuple[int, Any, Any]:
        charge = self.charges.get(charge_id)
        amount = int(data.get("amount") or 0)
        left = charge["amount"] - charge["amount_refunded"] if charge is not None else 0
        if charge is None or charge["status"] != "succeeded" or not 0 < amount <= left:
            error = {"error": {"code": "invalid_refund", "message": "Refund refused"}}
            return 400, error, error
        charge["amount_refunded"] += amount
        refund = {"id": f"re_{next(_ids):06d}", "amount": amount, "currency": charge["currency"],
                  "created": int(time.time()), "charge": charge_id}
        return 200, refund, refund
