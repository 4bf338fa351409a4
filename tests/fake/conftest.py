"""Fixtures for the fake backend's tests.

Each test gets its own simulated processor account (a fresh ``ACCOUNT``
name), so tests never see each other's charges, and the account is dropped
afterwards. Modules of this directory are loaded by path under unique names:
other backends' test directories have a ``harness.py`` too.
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
from payproc.types import ChargeRef, Party, PaymentRequest, PaymentResult, ProcessorKeys
from payproc_fake import processor, wire

SECRET = "whsec_fake_test_secret"


def _load(name: str, filename: str) -> Any:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(filename))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


harness_module = _load("payproc_fake_tests_harness", "harness.py")


@pytest.fixture
def webhook_secret() -> str:
    """The WEBHOOK_SECRET the backend fixtures are configured with."""
    return SECRET


@pytest.fixture
def account_name() -> Iterator[str]:
    name = f"acct_test_{uuid.uuid4().hex[:12]}"
    yield name
    processor.reset(name)


@pytest.fixture
def account(account_name: str) -> processor.Account:
    return processor.get_account(account_name)


@pytest.fixture
def make_backend(account_name: str) -> Callable[..., Backend]:
    """Build a backend on this test's account (``**overrides`` change the
    PROCESSOR section). Each call is a new instance: an app "restart"."""

    def make(**overrides: Any) -> Backend:
        section: dict[str, Any] = {"BACKEND": "fake", "ACCOUNT": account_name, "WEBHOOK_SECRET": SECRET}
        section.update(overrides)
        return load_backend(BackendSettings(**section), observers=False)

    return make


@pytest.fixture
def backend(make_backend: Callable[..., Backend]) -> Backend:
    return make_backend()


@pytest.fixture
def subscriber() -> Party:
    return Party("xia", "Xia Lee", email="xia@example.com")


@pytest.fixture
def provider() -> Party:
    return Party("cowork", "Cowork Inc.", keys=ProcessorKeys(deposit_key="acct_fake_provider1234"))


@pytest.fixture
def broker() -> Party:
    return Party("broker", "The Broker", is_broker=True)


@pytest.fixture
def request_for(subscriber: Party, provider: Party, broker: Party) -> Callable[..., PaymentRequest]:
    """A payment request; keyword arguments override the defaults."""

    def make(token: str | None = "tok_visa", **overrides: Any) -> PaymentRequest:
        values: dict[str, Any] = {
            "amount": 2000,
            "currency": "usd",
            "customer": subscriber,
            "provider": provider,
            "broker": broker,
            "idempotency_key": f"idem_{uuid.uuid4().hex}",
            "token": token,
        }
        values.update(overrides)
        return PaymentRequest(**values)

    return make


@pytest.fixture
def ref_for() -> Callable[..., ChargeRef]:
    """The ChargeRef the core would hold after ``request`` gave ``result``."""

    def make(request: PaymentRequest, result: PaymentResult | None = None, **overrides: Any) -> ChargeRef:
        values: dict[str, Any] = {
            "processor_key": result.processor_key if result is not None else None,
            "amount": request.amount,
            "currency": request.currency,
            "idempotency_key": request.idempotency_key,
            "created_at": result.created_at if result is not None else wire.utcnow(),
            "customer": request.customer,
            "provider": request.provider,
            "broker": request.broker,
            "broker_fee_amount": request.broker_fee_amount,
        }
        values.update(overrides)
        return ChargeRef(**values)

    return make


@pytest.fixture
def payproc_harness(account_name: str) -> Iterator[Any]:
    """The conformance suite's view of the fake backend."""
    harness = harness_module.FakeHarness(account=account_name, webhook_secret=SECRET)
    yield harness
    harness.close()
