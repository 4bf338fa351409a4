"""A fake of PayPal's REST API (Orders v2) on 127.0.0.1, for the tests.

What the backend calls, with PayPal's shapes and refusals:

* ``POST /v1/oauth2/token`` (HTTP basic with the client id and secret;
  ``grant_type=client_credentials``) -> ``{"access_token", "expires_in"}``;
  every other call needs ``Authorization: Bearer <that token>`` (401
  ``invalid_token`` otherwise).
* ``POST /v2/checkout/orders`` (``intent: CAPTURE``, one purchase unit with
  ``amount {currency_code, value}``) -> 201; with
  ``payment_source.paypal.experience_context.return_url``: ``status:
  PAYER_ACTION_REQUIRED`` and a ``payer-action`` link, without a payment
  source: ``CREATED`` and an ``approve`` link (a PayPal source without a
  return URL is refused, 422). ``PayPal-Request-Id`` replays the first answer.
* ``GET /v2/checkout/orders/<id>``: the order (404 ``RESOURCE_NOT_FOUND``
  for an unknown one).
* ``POST /v2/checkout/orders/<id>/capture`` (``PayPal-Request-Id``): 201
  ``COMPLETED`` with the capture in ``purchase_units[0].payments.captures``
  (``seller_receivable_breakdown``); 422 ``ORDER_NOT_APPROVED`` before the
  buyer approved, ``INSTRUMENT_DECLINED`` when the buyer's funding is
  refused, ``ORDER_ALREADY_CAPTURED`` for a second capture with another id.
* ``POST /v2/payments/captures/<id>/refund`` (``PayPal-Request-Id``): 201
  ``COMPLETED``; 422 ``REFUND_AMOUNT_EXCEEDED`` above what is left.
* ``POST /v1/notifications/verify-webhook-signature``: ``SUCCESS`` only for
  an event this server sent (its ``PAYPAL-TRANSMISSION-SIG`` is this
  server's signature of ``transmission_id|time|webhook_id|crc32(body)``,
  with a key the backend never sees), ``FAILURE`` otherwise.

What the buyer does on PayPal's page is :meth:`FakePayPal.approve` (the
harness calls it); :meth:`FakePayPal.send` is PayPal's webhook sender.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import secrets
import threading
import zlib
from datetime import datetime, timezone
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

__all__ = ["FakePayPal"]

_ids = itertools.count(1)


def _id(prefix: str) -> str:
    return f"{prefix}{next(_ids):08d}{secrets.token_hex(4).upper()}"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _error(status: int, name: str, issue: str | None = None, message: str = "") -> Response:
    body: dict[str, Any] = {"name": name, "message": message or name, "debug_id": secrets.token_hex(6)}
    if issue:
        body["details"] = [{"issue": issue, "description": message or issue}]
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _cents(value: str) -> int:
    units, _, fraction = value.partition(".")
    return int(units) * 100 + int((fraction + "00")[:2])


class FakePayPal:
    """The fake server; ``orders`` (by id) is the backdoor."""

    def __init__(self, client_id: str, secret: str, webhook_id: str) -> None:
        self.client_id, self.secret, self.webhook_id = client_id, secret, webhook_id
        self.orders: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self._tokens: set[str] = set()
        self._replays: dict[str, tuple[int, Any]] = {}
        self._declines: set[str] = set()
        self._lose_next_capture: set[str] = set()
        self._signing_key = secrets.token_bytes(32)  # PayPal's: never given to the backend
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> FakePayPal:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    # --- what the buyer does on PayPal's page, and what PayPal sends ------------

    def approve(self, order_id: str, *, funding: str = "ok", lose_capture_answer: bool = False) -> dict[str, str]:
        """The buyer approves ``order_id`` (``funding="declined"``: with a
        funding source the capture will refuse). Returns the query PayPal
        appends to the return URL."""
        with self._lock:
            order = self.orders[order_id]
            order["status"] = "APPROVED"
            order["payer"] = {"payer_id": "FAKEPAYER" + order_id[-4:], "email_address": "buyer@example.com"}
            if funding == "declined":
                self._declines.add(order_id)
            if lose_capture_answer:
                self._lose_next_capture.add(order_id)
        return {"token": order_id, "PayerID": order["payer"]["payer_id"]}

    def sign(self, transmission_id: str, time: str, body: bytes, key: bytes | None = None) -> str:
        message = f"{transmission_id}|{time}|{self.webhook_id}|{zlib.crc32(body)}".encode()
        return base64.b64encode(hmac.new(key or self._signing_key, message, hashlib.sha256).digest()).decode()

    def send(self, event_type: str, resource: dict[str, Any], *, event_id: str | None = None,
             forge_with: bytes | None = None) -> tuple[bytes, dict[str, str]]:
        """A webhook delivery as PayPal sends it (or forged with another key)."""
        event = {"id": event_id or _id("WH-"), "event_version": "1.0", "create_time": _now(),
                 "resource_type": "capture" if event_type.startswith("PAYMENT.CAPTURE") else "checkout-order",
                 "event_type": event_type, "resource": resource}
        body = json.dumps(event).encode()
        transmission_id, time = secrets.token_hex(8), _now()
        return body, {
            "paypal-transmission-id": transmission_id, "paypal-transmission-time": time,
            "paypal-transmission-sig": self.sign(transmission_id, time, body, forge_with),
            "paypal-cert-url": f"{self.url}/v1/notifications/certs/CERT-fake",
            "paypal-auth-algo": "SHA256withRSA", "content-type": "application/json",
        }

    def capture_of(self, order_id: str) -> dict[str, Any] | None:
        captures = self.orders[order_id]["purchase_units"][0].get("payments", {}).get("captures", [])
        return captures[0] if captures else None

    # --- the API ----------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self._handle(Request(environ))(environ, start_response)

    def _handle(self, request: Request) -> Response:
        with self._lock:
            if request.method == "POST" and request.path == "/v1/oauth2/token":
                return self._token(request)
            if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self._tokens:
                return _json(401, {"error": "invalid_token",
                                   "error_description": "Token signature verification failed"})
            replay_key = request.headers.get("PayPal-Request-Id")
            if replay_key and (request.path, replay_key) in self._replays:
                status, body = self._replays[(request.path, replay_key)]
                return _json(status, body)
            response = self._route(request)
            if replay_key and response.status_code < 500 and response.status_code != 422:
                self._replays[(request.path, replay_key)] = (response.status_code, json.loads(response.get_data()))
            return response

    def _route(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        if request.method == "POST" and request.path == "/v2/checkout/orders":
            return self._create(request.get_json())
        if parts[:3] == ["v2", "checkout", "orders"] and len(parts) == 4 and request.method == "GET":
            order = self.orders.get(parts[3])
            return _json(200, order) if order else _error(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID")
        if parts[:3] == ["v2", "checkout", "orders"] and parts[4:] == ["capture"] and request.method == "POST":
            return self._capture(parts[3])
        if parts[:3] == ["v2", "payments", "captures"] and parts[4:] == ["refund"] and request.method == "POST":
            return self._refund(parts[3], request.get_json(silent=True) or {})
        if request.method == "POST" and request.path == "/v1/notifications/verify-webhook-signature":
            return self._verify(request.get_json())
        return _error(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID")

    def _token(self, request: Request) -> Response:
        expected = base64.b64encode(f"{self.client_id}:{self.secret}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}" or \
                request.form.get("grant_type") != "client_credentials":
            return _json(401, {"error": "invalid_client", "error_description": "Client Authentication failed"})
        token = "A21AA" + secrets.token_hex(16)
        self._tokens.add(token)
        return _json(200, {"access_token": token, "token_type": "Bearer", "expires_in": 32400})

    def _create(self, data: dict[str, Any]) -> Response:
        units = data.get("purchase_units") or []
        if data.get("intent") != "CAPTURE" or len(units) != 1 or "amount" not in units[0]:
            return _error(400, "INVALID_REQUEST", "MISSING_REQUIRED_PARAMETER", "intent CAPTURE and one purchase unit")
        amount = units[0]["amount"]
        value = str(amount.get("value", ""))
        if not value.replace(".", "", 1).isdigit() or _cents(value) <= 0:
            return _error(422, "UNPROCESSABLE_ENTITY", "CANNOT_BE_ZERO_OR_NEGATIVE", "amount must be positive")
        source = data.get("payment_source")
        context = (source or {}).get("paypal", {}).get("experience_context", {})
        if source is not None and not context.get("return_url"):
            return _error(422, "UNPROCESSABLE_ENTITY", "RETURN_URL_REQUIRED", "a return_url is required")
        order_id = _id("5O")
        # With a PayPal payment source the buyer must act (payer-action);
        # without one the order waits for the JS SDK's approval (approve).
        rel, status = ("payer-action", "PAYER_ACTION_REQUIRED") if source is not None else ("approve", "CREATED")
        self.orders[order_id] = {
            "id": order_id, "intent": "CAPTURE", "status": status, "create_time": _now(),
            "purchase_units": [{"reference_id": units[0].get("reference_id", "default"),
                                "custom_id": units[0].get("custom_id"), "amount": dict(amount)}],
            "links": [{"href": f"{self.url}/checkoutnow?token={order_id}", "rel": rel, "method": "GET"},
                      {"href": f"{self.url}/v2/checkout/orders/{order_id}", "rel": "self", "method": "GET"}],
        }
        return _json(201, self.orders[order_id])

    def _capture(self, order_id: str) -> Response:
        order = self.orders.get(order_id)
        if order is None:
            return _error(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID")
        if order["status"] == "COMPLETED":
            return _error(422, "UNPROCESSABLE_ENTITY", "ORDER_ALREADY_CAPTURED", "Order already captured")
        if order["status"] != "APPROVED":
            return _error(422, "UNPROCESSABLE_ENTITY", "ORDER_NOT_APPROVED", "Payer has not yet approved the Order")
        if order_id in self._declines:
            return _error(422, "UNPROCESSABLE_ENTITY", "INSTRUMENT_DECLINED",
                          "The instrument presented was either declined by the processor or bank")
        amount = order["purchase_units"][0]["amount"]
        gross = _cents(amount["value"])
        fee = (gross * 349 + 5000) // 10000 + 49
        money = lambda cents: {"currency_code": amount["currency_code"], "value": f"{cents // 100}.{cents % 100:02d}"}  # noqa: E731
        capture = {"id": _id("3C"), "status": "COMPLETED", "amount": dict(amount), "final_capture": True,
                   "create_time": _now(), "amount_refunded": 0,
                   "seller_receivable_breakdown": {"gross_amount": money(gross), "paypal_fee": money(fee),
                                                   "net_amount": money(gross - fee)}}
        order["purchase_units"][0]["payments"] = {"captures": [capture]}
        order["status"] = "COMPLETED"
        if order_id in self._lose_next_capture:  # done, then the answer is lost
            self._lose_next_capture.discard(order_id)
            return Response("upstream request timeout", status=504)
        return _json(201, order)

    def _refund(self, capture_id: str, data: dict[str, Any]) -> Response:
        found = next((o for o in self.orders.values() if (self.capture_of(o["id"]) or {}).get("id") == capture_id),
                     None)
        if found is None:
            return _error(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID")
        capture = self.capture_of(found["id"])
        assert capture is not None
        cents = _cents(str((data.get("amount") or capture["amount"])["value"]))
        if not 0 < cents <= _cents(capture["amount"]["value"]) - capture["amount_refunded"]:
            return _error(422, "UNPROCESSABLE_ENTITY", "REFUND_AMOUNT_EXCEEDED",
                          "The refund amount must be less than or equal to the capture amount "
                          "that has not yet been refunded")
        capture["amount_refunded"] += cents
        refund = {"id": _id("1R"), "status": "COMPLETED", "create_time": _now(),
                  "amount": {"currency_code": capture["amount"]["currency_code"],
                             "value": f"{cents // 100}.{cents % 100:02d}"}}
        self.refunds[refund["id"]] = refund
        return _json(201, refund)

    def _verify(self, data: dict[str, Any]) -> Response:
        body = json.dumps(data.get("webhook_event") or {}).encode()
        expected = self.sign(str(data.get("transmission_id")), str(data.get("transmission_time")), body)
        ok = data.get("webhook_id") == self.webhook_id and hmac.compare_digest(
            expected, str(data.get("transmission_sig") or ""))
        return _json(200, {"verification_status": "SUCCESS" if ok else "FAILURE"})
