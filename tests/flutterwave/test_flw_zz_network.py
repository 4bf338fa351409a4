"""Nothing left loopback: every connection the process made during these
tests went to a local address. Runs last in the directory;
``conftest.pytest_sessionfinish`` also fails the whole run if any
connection was refused."""

from __future__ import annotations

import sys

import pytest
from payproc_flutterwave_tests_helpers import context, new_key, request

GUARD = sys.modules["payproc_flutterwave_tests_netguard"].GUARD
is_loopback = sys.modules["payproc_flutterwave_tests_netguard"].is_loopback


@pytest.mark.parametrize(("host", "local"), [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("api.flutterwave.com", False), ("checkout.flutterwave.com", False), ("10.0.0.1", False),
    ("8.8.8.8", False), ("::ffff:1.2.3.4", False), ("0.0.0.0", False),
])
def test_loopback_classifier(host, local):
    assert is_loopback(host) is local


def test_a_payment_calls_only_the_configured_api(backend, fake):
    key = new_key()
    ctx = context(backend, 1000, "ngn", key)
    paid = fake.pay(ctx.reference, "10.00", "ngn")
    before = len(GUARD.connections)
    backend.call("create_payment", request=request(1000, "ngn", key, str(paid.id)), reference=ctx.reference)
    made = GUARD.connections[before:]
    assert made, "a fresh backend connects on its first call"
    assert all(is_loopback(detail[0]) for _kind, detail in made)
    assert fake.calls == [("GET", "verify")]


def test_no_connection_left_loopback_during_the_tests():
    if GUARD.allowed_hosts:
        pytest.skip("FLW_TEST_SECRET_KEY is set: the sandbox smoke test may reach api.flutterwave.com")
    assert GUARD.installed
    assert GUARD.connections, "the guard saw no connection at all: it is not recording"
    assert GUARD.violations == []
    assert all(is_loopback(detail[0]) for _kind, detail in GUARD.connections)
