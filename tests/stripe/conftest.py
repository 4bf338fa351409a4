"""Fixtures for the Stripe backend's tests.

The server comes from configuration: the local fake by default; with
``STRIPE_TEST_SECRET_KEY`` set, ``test_scenarios.py`` also runs against
Stripe's test mode (same test code).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fakestripe_server import FakeStripe
from stripe_harness import StripeHarness
from stripe_world import World


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    server = FakeStripe().start()
    yield server
    server.stop()


@pytest.fixture
def payproc_harness(fake_stripe: FakeStripe) -> StripeHarness:
    """The conformance suite's harness (LOCAL mode, fake server running)."""
    return StripeHarness(fake_stripe)


@pytest.fixture
def world(fake_stripe: FakeStripe) -> World:
    return World(fake_stripe)
