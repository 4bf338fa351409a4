"""Fixtures for the Stripe backend's tests.

The server comes from configuration: the local fake by default; with
``STRIPE_TEST_SECRET_KEY`` set, ``test_scenarios.py`` also runs against
Stripe's test mode (same test code).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from fakestripe_server import FakeStripe
from stripe_harness import StripeHarness
from stripe_world import World


def pytest_report_header(config: pytest.Config) -> str:
    """Say, in every run's header, what the Stripe tests talk to."""
    if os.environ.get("STRIPE_TEST_SECRET_KEY"):
        return "stripe: STRIPE_TEST_SECRET_KEY is set: test_stripe_live.py and test_scenarios.py also run against " \
               "Stripe's test mode (needs -o addopts='' to lift the loopback-only socket guard)"
    return ("stripe: STRIPE_TEST_SECRET_KEY not set: tests run against the local fake Stripe and localstripe; the "
            "test-mode smoke run (test_stripe_live.py) is skipped")


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
