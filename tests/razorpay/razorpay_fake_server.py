"""The fake Razorpay's HTTP face: Razorpay's ``/v1`` routes over
:class:`razorpay_fake_state.FakeRazorpayState`, plus a ``/_test`` backdoor that plays
Razorpay Checkout and lets tests look at the server's state.

Runs in a thread on 127.0.0.1, on a free port (werkzeug's threaded server,
so a deliberately slow answer does not block the others).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from razorpay_fake_state import FakeRazorpayState, Fault, RazorpayError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

Handler = Callable[..., Any]


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """Tests read the fake's request log through the backdoor instead."""


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


class FakeRazorpayServer:
    """``with FakeRazorpayServer() as fake: fake.url`` is Razorpay's API root."""

    def __init__(self, key_id: str = "rzp_test_payproc", key_secret: str = "fake-key-secret",
                 webhook_secret: str = "fake-webhook-secret") -> None:
        self.state = FakeRazorpayState(key_id, key_secret, webhook_secret)
        s = self.state
        self.routes: dict[str, Handler] = {
            "orders.create": lambda r: s.create_order(self._body(r)),
            "orders.list": lambda r: s.list_orders(r.args),
            "orders.fetch": lambda r, id: s.get(s.orders, id),
            "orders.payments": lambda r, id: s.order_payments(id),
            "payments.list": lambda r: s.collection(list(s.payments.values()), r.args),
            "payments.fetch": lambda r, id: s.payment_view(s.get(s.payments, id), "card" in r.args.getlist("expand[]")),
            "payments.capture": lambda r, id: s.payment_view(s.capture(id, self._body(r))),
            "payments.refund": lambda r, id: s.refund(id, self._body(r)),
            "payments.refunds": lambda r, id: s.payment_refunds(id, r.args),
            "payments.refund_fetch": lambda r, id, rid: s.payment_refund(id, rid),
            "payments.recurring": lambda r: s.recurring(self._body(r)),
            "refunds.fetch": lambda r, id: s.get(s.refunds, id),
            "customers.create": lambda r: s.create_customer(self._body(r)),
            "customers.list": lambda r: s.collection(list(s.customers.values()), r.args),
            "customers.fetch": lambda r, id: s.get(s.customers, id),
            "customers.edit": lambda r, id: s.edit_customer(id, self._body(r)),
            "tokens.list": lambda r, id: s.customer_tokens(id),
            "tokens.fetch": lambda r, id, tid: s.customer_token(id, tid),
            "tokens.delete": lambda r, id, tid: s.delete_token(id, tid),
            "transfers.create": lambda r: s.create_transfer(self._body(r), r.headers.get("X-Transfer-Idempotency")),
            "transfers.list": lambda r: s.collection(list(s.transfers.values()), r.args),
            "transfers.fetch": lambda r, id: s.get(s.transfers, id),
            "disputes.fetch": lambda r, id: s.get(s.disputes, id),
        }
        self.url_map = Map(
            [
                Rule("/v1/orders", methods=["POST"], endpoint="orders.create"),
                Rule("/v1/orders", methods=["GET"], endpoint="orders.list"),
                Rule("/v1/orders/<id>", methods=["GET"], endpoint="orders.fetch"),
                Rule("/v1/orders/<id>/payments", methods=["GET"], endpoint="orders.payments"),
                Rule("/v1/payments", methods=["GET"], endpoint="payments.list"),
                Rule("/v1/payments/create/recurring", methods=["POST"], endpoint="payments.recurring"),
                Rule("/v1/payments/<id>", methods=["GET"], endpoint="payments.fetch"),
                Rule("/v1/payments/<id>/capture", methods=["POST"], endpoint="payments.capture"),
                Rule("/v1/payments/<id>/refund", methods=["POST"], endpoint="payments.refund"),
                Rule("/v1/payments/<id>/refunds", methods=["GET"], endpoint="payments.refunds"),
                Rule("/v1/payments/<id>/refunds/<rid>", methods=["GET"], endpoint="payments.refund_fetch"),
                Rule("/v1/refunds/<id>", methods=["GET"], endpoint="refunds.fetch"),
                Rule("/v1/customers", methods=["POST"], endpoint="customers.create"),
                Rule("/v1/customers", methods=["GET"], endpoint="customers.list"),
                Rule("/v1/customers/<id>", methods=["GET"], endpoint="customers.fetch"),
                Rule("/v1/customers/<id>", methods=["PUT"], endpoint="customers.edit"),
                Rule("/v1/customers/<id>/tokens", methods=["GET"], endpoint="tokens.list"),
                Rule("/v1/customers/<id>/tokens/<tid>", methods=["GET"], endpoint="tokens.fetch"),
                Rule("/v1/customers/<id>/tokens/<tid>", methods=["DELETE"], endpoint="tokens.delete"),
                Rule("/v1/transfers", methods=["POST"], endpoint="transfers.create"),
                Rule("/v1/transfers", methods=["GET"], endpoint="transfers.list"),
                Rule("/v1/transfers/<id>", methods=["GET"], endpoint="transfers.fetch"),
                Rule("/v1/disputes/<id>", methods=["GET"], endpoint="disputes.fetch"),
                Rule("/_test/<path:what>", methods=["GET", "POST"], endpoint="backdoor"),
            ]
        )
        #: (method, path, raw body) of every API request, and the last
        #: answer per path, for shape tests.
        self.recorded_bodies: list[tuple[str, str, bytes]] = []
        self.recorded_answers: dict[str, Any] = {}
        self._server: Any = None
        self._thread: threading.Thread | None = None

    # --- life cycle ------------------------------------------------------

    def start(self) -> FakeRazorpayServer:
        self._server = make_server("127.0.0.1", 0, self.wsgi, threaded=True, request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeRazorpayServer:  # noqa: PYI034 (typing.Self is 3.11+)
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    # --- HTTP ------------------------------------------------------------

    @staticmethod
    def _body(request: Request) -> dict[str, Any]:
        raw = request.get_data()
        if not raw:
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            raise RazorpayError("The request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise RazorpayError("The request body must be a JSON object")
        return data

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return user == self.state.key_id and password == self.state.key_secret

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return self.dispatch(Request(environ))(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
        except HTTPException:
            return _json(400, RazorpayError("The requested URL was not found on the server.",
                                            source="NA", step="NA", reason="NA").body())
        if endpoint == "backdoor":
            return self.backdoor(request, values["what"])
        if not self._authorized(request):
            return _json(401, RazorpayError("Authentication failed", source="NA", step="NA", reason="NA").body())
        with self.state.lock:
            self.state.requests.append((request.method, request.path))
            self.state.request_headers.append((request.method, request.path, dict(request.headers)))
            fault = self.state.take_fault(request.method, request.path)
            if fault is not None and fault.mode == "gateway_error":
                return _json(502, RazorpayError("Gateway timed out", status=502, code="GATEWAY_ERROR",
                                                source="gateway", reason="gateway_technical_error").body())
            self.recorded_bodies.append((request.method, request.path, request.get_data()))
            try:
                body = self._public(self.routes[endpoint](request, **values))
                self.recorded_answers[request.path] = body
                response = _json(200, body)
            except RazorpayError as error:
                response = _json(error.status, error.body())
        if fault is not None and fault.mode == "timeout":
            time.sleep(fault.delay)  # applied, but the answer comes too late
        elif fault is not None and fault.mode == "server_error":
            response = _json(500, RazorpayError("The server encountered an error", status=500, code="SERVER_ERROR",
                                                source="internal", reason="server_error").body())
        return response

    @staticmethod
    def _public(body: Any) -> Any:
        if isinstance(body, dict):
            return {k: v for k, v in body.items() if not k.startswith("_")}
        return body

    # --- backdoor --------------------------------------------------------

    def backdoor(self, request: Request, what: str) -> Response:
        s = self.state
        data = self._body(request) if request.method == "POST" else {}
        try:
            with s.lock:
                return _json(200, self._backdoor(what, data, request))
        except RazorpayError as error:
            return _json(error.status, error.body())

    def _backdoor(self, what: str, data: dict[str, Any], request: Request) -> Any:
        s = self.state
        parts = what.split("/")
        if what == "checkout":
            # What Razorpay Checkout does in the browser: pay the order (a
            # UPI payment stays ``created`` until the customer approves it).
            # ``token_id``: the customer picks a card saved on ``customer_id``.
            # No ``order_id``: Checkout opened with an amount and no order
            # (Razorpay allows it: the payment's ``order_id`` is null).
            if data.get("order_id") is None:
                order = s.create_order({"amount": data["amount"], "currency": data.get("currency", "INR")})
                order["_orderless"] = True
            else:
                order = s.get(s.orders, data["order_id"])
            customer_id = data.get("customer_id") or order["_customer_id"]
            token = s.customer_token(customer_id, data["token_id"]) if data.get("token_id") else None
            method = data.get("method", "card")
            outcome = "pending" if method != "card" and data.get("outcome", "success") == "success" else \
                data.get("outcome", "success")
            payment = s.new_payment(order, outcome=outcome, card=token["_card_input"] if token else data.get("card", {}),
                                    customer_id=customer_id, token=token, save=bool(data.get("save")), method=method)
            if order.get("_orderless"):
                payment["order_id"] = None
            return s.payment_view(payment, True)
        if what == "card_checkout":
            # A card saved by a card-update checkout on an order and customer
            # the fake makes itself (no payproc subscriber is named anywhere).
            customer = s.create_customer({"name": data.get("name", "Card Holder"), "email": data.get("email"),
                                          "fail_existing": "0"})
            order = s.create_order({"amount": 100, "currency": "INR", "customer_id": customer["id"],
                                    "token": {"max_amount": 1500000}})
            payment = s.new_payment(order, outcome=data.get("outcome", "success"), card=data.get("card", {}),
                                    customer_id=customer["id"])
            if data.get("outcome") == "decline_later" and payment["token_id"]:
                s.tokens[payment["token_id"]]["_decline"] = True
            return s.payment_view(payment, True)
        if what == "tokens/decline":
            s.tokens[data["token_id"]]["_decline"] = True
            return {"ok": True}
        if what == "tokens/recurring_status":
            s.tokens[data["token_id"]]["recurring_details"]["status"] = data["status"]
            return {"ok": True}
        if what == "tokens/mandate":
            # A confirmed e-mandate (bank account) registered outside payproc.
            token = s.new_token(data["customer_id"], {}, recurring=True, method="emandate")
            return s.customer_token(data["customer_id"], token["id"])
        if what == "recurring/debit":
            return {"payments": s.debit_due()}
        if len(parts) == 3 and parts[0] == "payments" and parts[2] in ("authorize", "fail"):
            payment = s.get(s.payments, parts[1])
            s.authorize(payment) if parts[2] == "authorize" else s.fail_payment(payment)
            return s.payment_view(payment, True)
        if what == "faults":
            s.faults.append(Fault(data["method"], data["path"], data["mode"], float(data.get("delay", 0)),
                                  int(data.get("times", 1))))
            return {"ok": True}
        if what == "balance":
            s.balance += int(data.get("add", 0))
            return {"balance": s.balance}
        if what == "accounts":
            s.accounts.add(data["id"])
            return {"ok": True}
        if what == "disputes":
            return s.open_dispute(data["payment_id"], data.get("amount"), data.get("phase", "chargeback"))
        if len(parts) == 3 and parts[0] == "disputes" and parts[2] == "close":
            return s.close_dispute(parts[1], data["status"])
        if what == "payments":
            receipt = request.args.get("receipt")
            items = [
                {**s.payment_view(p), "receipt": s.orders[p["_order_id"]]["receipt"]}
                for p in s.payments.values()
                if receipt is None or s.orders[p["_order_id"]]["receipt"] == receipt
            ]
            return {"items": items}
        if len(parts) == 2 and parts[0] == "payments":
            return s.payment_view(s.get(s.payments, parts[1]), True)
        if what == "webhooks":
            return {"items": [{"event": d.event, "body": d.body.decode(), "headers": d.headers}
                              for d in s.deliveries]}
        if what == "requests":
            return {"items": [list(item) for item in s.requests]}
        raise RazorpayError(f"unknown backdoor {what}")
