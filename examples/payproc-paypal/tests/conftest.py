"""Fixtures: the fake PayPal server and the conformance suite's harness."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fake_paypal import FakePayPal
from harness_paypal import CLIENT_ID, SECRET, WEBHOOK_ID, PayPalHarness


@pytest.fixture
def fake_server() -> Iterator[FakePayPal]:
    server = FakePayPal(CLIENT_ID, SECRET, WEBHOOK_ID).start()
    yield server
    server.stop()


@pytest.fixture
def payproc_harness(fake_server: FakePayPal) -> PayPalHarness:
    """What the conformance suite needs (see payproc.testing.harness)."""
    return PayPalHarness(fake_server)
