"""Framework overhead of ``create_payment``.

Three ways to make the same payment, interleaved call by call so that the
machine's noise hits them alike:

* **payproc**: ``Backend.call("create_payment", ...)`` on a backend loaded by
  settings (pluggy dispatch, capability check, the plugin's mapping of the
  answer to a :class:`PaymentResult`);
* **hookimpl**: the plugin's ``create_payment`` method called directly;
* **sdk** (Razorpay only): the same HTTP calls the plugin makes (signature
  check, fetch, capture, fetch) written directly with the ``razorpay`` SDK.

Two scenarios: the fake backend in process (no I/O: shows the dispatch cost
itself), and Razorpay over real HTTP against the Razorpay helper's fake
server (tests/razorpay), where a new order is paid through its Checkout
backdoor before each timed call (not timed).
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from _common import summary

ROOT = Path(__file__).resolve().parent.parent


def _party(slug: str, **kw: Any) -> Any:
    from payproc.types import Party

    return Party(slug=slug, printable_name=slug.title(), **kw)


def fake_in_process(n: int) -> dict[str, Any]:
    from payproc.backend import load_backend
    from payproc.settings import BackendSettings
    from payproc.types import PaymentRequest

    backend = load_backend(BackendSettings(BACKEND="fake", ACCOUNT=f"acct_bench_{uuid.uuid4().hex[:8]}"),
                           observers=False)
    impl = backend.impl
    customer, provider, broker = _party("xia"), _party("cowork"), _party("broker", is_broker=True)

    def request() -> PaymentRequest:
        return PaymentRequest(amount=2000, currency="usd", customer=customer, provider=provider, broker=broker,
                              idempotency_key=uuid.uuid4().hex, token="tok_visa")

    times: dict[str, list[float]] = {"payproc": [], "hookimpl": []}
    for i in range(n + 50):
        for way in ("payproc", "hookimpl") if i % 2 else ("hookimpl", "payproc"):
            req = request()
            began = time.perf_counter()
            if way == "payproc":
                backend.call("create_payment", request=req, reference=None)
            else:
                impl.create_payment(request=req)
            if i >= 50:
                times[way].append(time.perf_counter() - began)
    return _ratios(times, base="hookimpl")


def _load_razorpay_fake() -> Any:
    sys.path.insert(0, str(ROOT / "tests" / "razorpay"))
    spec = importlib.util.spec_from_file_location("razorpay_fake_server", ROOT / "tests/razorpay/razorpay_fake_server.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["razorpay_fake_server"] = module
    spec.loader.exec_module(module)
    return module


def razorpay_http(n: int) -> dict[str, Any]:
    import razorpay
    import requests
    from payproc.backend import load_backend
    from payproc.settings import BackendSettings
    from payproc.types import PaymentRequest

    fake_server = _load_razorpay_fake()
    with fake_server.FakeRazorpayServer() as server:
        state = server.state
        section = {"BACKEND": "razorpay", "PUB_KEY": state.key_id, "PRIV_KEY": state.key_secret,
                   "WEBHOOK_SECRET": state.webhook_secret, "API_BASE": server.url, "TIMEOUT": 5.0}
        backend = load_backend(BackendSettings(**section), observers=False)
        impl = backend.impl
        # the timed SDK client is used for timed calls only, as the plugin's is
        sdk = razorpay.Client(auth=(state.key_id, state.key_secret), base_url=server.url)
        setup_sdk = razorpay.Client(auth=(state.key_id, state.key_secret), base_url=server.url)
        setup = requests.Session()
        customer, broker = _party("asha"), _party("broker", is_broker=True)
        from payproc.types import ProcessorKeys

        provider = _party("provider", keys=ProcessorKeys(deposit_key="acc_Provider000001"))

        def paid_order() -> tuple[str, str, str]:
            order = setup_sdk.order.create({"amount": 50000, "currency": "INR", "receipt": uuid.uuid4().hex[:20]})
            answer = setup.post(f"{server.url}/_test/checkout", json={
                "order_id": order["id"], "outcome": "success", "save": False, "card": {}}, timeout=5)
            payment_id = answer.json()["id"]
            signature = hmac.new(state.key_secret.encode(), f"{order['id']}|{payment_id}".encode(),
                                 hashlib.sha256).hexdigest()
            return order["id"], payment_id, signature

        def direct(order_id: str, payment_id: str, signature: str) -> None:
            expected = hmac.new(state.key_secret.encode(), f"{order_id}|{payment_id}".encode(),
                                hashlib.sha256).hexdigest()
            assert hmac.compare_digest(expected, signature)
            payment = sdk.payment.fetch(payment_id, {"expand[]": "card"})
            assert payment["order_id"] == order_id and payment["amount"] == 50000
            sdk.payment.capture(payment_id, payment["amount"], {"currency": payment["currency"]})
            payment = sdk.payment.fetch(payment_id, {"expand[]": "card"})
            assert payment["status"] == "captured"

        def through(call: Any, order_id: str, payment_id: str, signature: str) -> None:
            req = PaymentRequest(amount=50000, currency="inr", customer=customer, provider=provider, broker=broker,
                                 idempotency_key=uuid.uuid4().hex, token=payment_id,
                                 browser_fields={"razorpay_signature": signature, "razorpay_order_id": order_id})
            result = call(request=req, reference=order_id)
            assert result.amount == 50000

        ways = {
            "sdk": direct,
            "hookimpl": lambda *a: through(impl.create_payment, *a),
            "payproc": lambda *a: through(lambda **kw: backend.call("create_payment", **kw), *a),
        }
        times: dict[str, list[float]] = {name: [] for name in ways}
        order = list(ways)
        for i in range(n + 20):
            order = order[1:] + order[:1]  # rotate who goes first
            for name in order:
                args = paid_order()
                began = time.perf_counter()
                ways[name](*args)
                if i >= 20:
                    times[name].append(time.perf_counter() - began)
    return _ratios(times, base="sdk")


def _ratios(times: dict[str, list[float]], *, base: str) -> dict[str, Any]:
    import statistics

    medians = {name: statistics.median(values) for name, values in times.items()}
    return {
        "median_us": {name: round(m * 1e6, 1) for name, m in medians.items()},
        "ratio_to_" + base: {name: round(m / medians[base], 4) for name, m in medians.items()},
        "overhead_us": {name: round((m - medians[base]) * 1e6, 1) for name, m in medians.items()},
        "calls": len(times[base]),
    }


def run(n_fake: int = 3000, n_http: int = 200, repeats: int = 3) -> dict[str, Any]:
    fake = [fake_in_process(n_fake) for _ in range(repeats)]
    http = [razorpay_http(n_http) for _ in range(repeats)]
    return {
        "fake_in_process": {"runs": fake,
                            "payproc_over_hookimpl": summary([r["ratio_to_hookimpl"]["payproc"] for r in fake]),
                            "dispatch_overhead_us": summary([r["overhead_us"]["payproc"] for r in fake])},
        "razorpay_http": {"runs": http,
                          "payproc_over_sdk": summary([r["ratio_to_sdk"]["payproc"] for r in http]),
                          "hookimpl_over_sdk": summary([r["ratio_to_sdk"]["hookimpl"] for r in http]),
                          "payproc_overhead_us": summary([r["overhead_us"]["payproc"] for r in http])},
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(1000, 60, 1), indent=1))
