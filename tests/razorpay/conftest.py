"""Fixtures for the Razorpay backend's tests.

By default every test gets its own fake Razorpay server (real HTTP on
127.0.0.1, a free port) and a backend loaded the way the core loads it. With
``RAZORPAY_TEST_KEY_ID``/``RAZORPAY_TEST_KEY_SECRET`` set, the same tests run
against Razorpay's test mode (``RAZORPAY_TEST_API_BASE`` overrides the
server); tests that need the fake's backdoor (Checkout needs a browser) skip
there, saying so.

Modules of this directory are loaded by path under unique names: other
backends' test directories have a ``harness.py`` too.
"""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from payproc.backend import Backend, load_backend
from payproc.settings import BackendSettings
from payproc.types import Party, PaymentResult


def _load(name: str, filename: str) -> Any:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(filename))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


for _module in ("razorpay_fake_money", "razorpay_fake_errors", "razorpay_fake_webhooks", "razorpay_fake_payments",
                "razorpay_fake_customers", "razorpay_fake_refunds", "razorpay_fake_transfers", "razorpay_fake_state"):
    _load(_module, f"{_module}.py")
fake_server = _load("razorpay_fake_server", "razorpay_fake_server.py")
harness_module = _load("payproc_razorpay_tests_harness", "harness.py")
helpers = _load("razorpay_helpers", "razorpay_helpers.py")
shop_module = _load("razorpay_app", "razorpay_app.py")
BROKER, PROVIDER, request_for = helpers.BROKER, helpers.PROVIDER, helpers.request_for
RazorpayHarness = harness_module.RazorpayHarness
BackdoorUnavailable = harness_module.BackdoorUnavailable

def pytest_report_header(config: pytest.Config) -> str:
    """Say, in every run's header, what the Razorpay tests talk to."""
    if RazorpayHarness.from_environment() is not None:
        return "razorpay: RAZORPAY_TEST_KEY_ID is set: tests run against Razorpay's test mode"
    return ("razorpay: RAZORPAY_TEST_KEY_ID/RAZORPAY_TEST_KEY_SECRET not set: tests run against the local fake "
            "Razorpay; the test-mode smoke tests (test_razorpay_live.py) are skipped")


@pytest.fixture
def fake() -> Iterator[Any]:
    if RazorpayHarness.from_environment() is not None:
        yield None
        return
    with fake_server.FakeRazorpayServer() as server:
        yield server


@pytest.fixture
def harness(fake: Any) -> Any:
    live = RazorpayHarness.from_environment()
    if live is not None:
        return live
    state = fake.state
    return RazorpayHarness(api_base=fake.url, key_id=state.key_id, key_secret=state.key_secret,
                           webhook_secret=state.webhook_secret)


#: The fake merchant's float (paise): Razorpay takes Route's transfer fee
#: from the merchant balance on top of the amount moved, so a merchant whose
#: balance is exactly one charge's net could not pay its provider all of it.
MERCHANT_FLOAT = 100000


@pytest.fixture
def payproc_harness(harness: Any) -> Any:
    """The harness the conformance suite uses, on a merchant account that
    holds a float besides the suite's charges (as a live one does)."""
    if not harness.live:
        harness.backdoor("balance", {"add": MERCHANT_FLOAT})
    return harness


@pytest.fixture
def backdoor(harness: Any) -> Any:
    """The harness, for tests that need the fake's backdoor (skips live)."""
    if harness.live:
        pytest.skip("needs the fake Razorpay's backdoor: Razorpay Checkout cannot be driven without a browser")
    return harness


@pytest.fixture
def make_backend(harness: Any) -> Callable[..., Backend]:
    def make(**overrides: Any) -> Backend:
        section = {**harness.processor_settings(), **overrides}
        return load_backend(BackendSettings(**section), observers=False)

    return make


@pytest.fixture
def backend(make_backend: Callable[..., Backend]) -> Backend:
    return make_backend()


#: The phone of the test customers (E.164): Razorpay requires a contact for
#: recurring payments.
PHONE = "+919876543210"


@pytest.fixture
def subscriber() -> Party:
    tag = uuid.uuid4().hex[:8]
    return Party(slug=f"sub-{tag}", printable_name="Asha Rao", email=f"asha-{tag}@example.com", phone=PHONE)


@pytest.fixture
def payproc_app(payproc_harness: Any, tmp_path: Path) -> Iterator[Any]:
    """The conformance suite's app, its customer with the phone Razorpay
    requires for recurring payments (the suite's profiles have none), and
    the harness told that the suite's cards are that customer's."""
    from payproc.testing.driver import CUSTOMER, make_app

    app = make_app(payproc_harness, tmp_path)
    app.set_phone(CUSTOMER, PHONE)
    payproc_harness.bind(app, CUSTOMER)  # card_token(): a card-update checkout of this customer
    yield app
    app.db.engine.dispose()


@pytest.fixture
def key() -> str:
    return f"charge-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def checkout(backend: Backend, backdoor: Any) -> Callable[..., tuple[PaymentResult, Any]]:
    """Context, Checkout and ``create_payment``, as the core runs them."""

    def run(subscriber: Party, amount: int, currency: str, key: str, **pay: Any) -> tuple[PaymentResult, Any]:
        context = backend.call("get_payment_context", subscriber=subscriber, amount=amount, currency=currency,
                               provider=PROVIDER, broker=BROKER, broker_fee_amount=0, return_url=None, idempotency_key=key)
        token, fields = backdoor.pay(context, amount, currency, **pay)
        result = backend.call("create_payment", request=request_for(subscriber, amount, currency, key, token,
                                                                     dict(fields)), reference=context.reference)
        return result, context

    return run


@pytest.fixture
def shop(backdoor: Any, tmp_path: Path) -> Iterator[Any]:
    """A Payproc application on SQLite talking to the fake Razorpay."""
    shop = shop_module.Shop(backdoor, tmp_path)
    yield shop
    shop.app.db.engine.dispose()
