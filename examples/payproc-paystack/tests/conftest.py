"""Fixtures: the fake Paystack server and the conformance suite's harness."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fake_paystack import FakePaystack
from harness_paystack import SECRET_KEY, PaystackHarness


@pytest.fixture
def fake_server() -> Iterator[FakePaystack]:
    server = FakePaystack(SECRET_KEY).start()
    yield server
    server.stop()


@pytest.fixture
def payproc_harness(fake_server: FakePaystack) -> PaystackHarness:
    """What the conformance suite needs (see payproc.testing.harness)."""
    return PaystackHarness(fake_server)
