"""Fixtures for the Stripe backend's tests.

The server comes from configuration: the local fake by default; with
``STRIPE_TEST_SECRET_KEY`` set, ``test_scenarios.py`` also runs against
Stripe's test mode (same test code).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from fakestripe_server import FakeStripe
from harness import StripeHarness
from payproc.backend import Backend, load_backend
from payproc.settings import BackendSettings
from payproc.types import Party, ProcessorKeys


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    server = FakeStripe().start()
    yield server
    server.stop()


@pytest.fixture
def payproc_harness(fake_stripe: FakeStripe) -> StripeHarness:
    """The conformance suite's harness (LOCAL mode, fake server running)."""
    return StripeHarness(fake_stripe)


def make_backend(settings: dict[str, Any]) -> Backend:
    return load_backend(BackendSettings(**settings), observers=False)


class World:
    """A platform, a broker and a provider with connected accounts, a subscriber."""

    def __init__(self, server: FakeStripe, *, mode: int = 0, use_platform_keys: bool = False,
                 broker_on_platform: bool = False) -> None:
        self.server = server
        self.harness = StripeHarness(server, mode=mode, use_platform_keys=use_platform_keys)
        self.broker_account = server.platform if broker_on_platform else server.state.connect("broker")
        self.provider_account = server.state.connect("provider")
        self.broker = Party("broker", "Broker Inc", keys=ProcessorKeys(deposit_key=self.broker_account.id),
                            is_broker=True)
        self.provider = Party("provider", "Cowork Provider", "p@example.com",
                              keys=ProcessorKeys(deposit_key=self.provider_account.id))
        self.subscriber = Party("alice", "Alice", "alice@example.com")
        self.backend = make_backend(dict(self.harness.processor_settings()))

    def call(self, operation: str, **kwargs: Any) -> Any:
        return self.backend.call(operation, **kwargs)


@pytest.fixture
def world(fake_stripe: FakeStripe) -> World:
    return World(fake_stripe)
