"""A smoke test against Flutterwave's own API in test mode, with
``FLW_TEST_SECRET_KEY`` (and ``FLW_TEST_PUBLIC_KEY``) from a Flutterwave
test account. Skipped without them (always, offline), with the reason.

It makes no payment (a card payment needs a browser): it checks that the
v3 client reaches the API with the key, that an unknown ``tx_ref`` is "not
found" (so a checkout not paid yet is awaiting the customer), and that a
hosted checkout link is issued. Run it with pytest-socket's defaults off::

    FLW_TEST_SECRET_KEY=FLWSECK_TEST-... FLW_TEST_PUBLIC_KEY=FLWPUBK_TEST-... \\
        python -m pytest -o addopts="" tests/flutterwave/test_flw_sandbox.py
"""

from __future__ import annotations

import os

import pytest
from payproc.types import ActionKind, ChargeStatus
from payproc_flutterwave_tests_helpers import charge_ref, context, new_key

SECRET = os.environ.get("FLW_TEST_SECRET_KEY")
PUBLIC = os.environ.get("FLW_TEST_PUBLIC_KEY", "FLWPUBK_TEST-not-given")

pytestmark = pytest.mark.skipif(
    not SECRET, reason="FLW_TEST_SECRET_KEY is not set: no sandbox smoke test (offline, the fake v3 server stands in)")


@pytest.fixture
def sandbox(make_backend):
    assert SECRET and "_TEST" in SECRET, "use a Flutterwave test key, never a live one"
    return make_backend({"BACKEND": "flutterwave", "PUB_KEY": PUBLIC, "PRIV_KEY": SECRET, "TIMEOUT": 60.0,
                         "CHECKOUT": "hosted"})


def test_an_unpaid_checkout_is_awaiting_the_customer(sandbox):
    key = new_key()
    ctx = context(sandbox, 10000, "ngn", key, return_url="https://example.com/payproc-smoke-test")
    assert ctx.next_action.kind is ActionKind.REDIRECT and ctx.next_action.url.startswith("https://")
    info = sandbox.call("retrieve_charge", charge=charge_ref(None, 10000, "ngn", key, reference=ctx.reference))
    assert info.status is ChargeStatus.AWAITING_CUSTOMER


def test_a_tx_ref_never_used_is_not_found(sandbox):
    info = sandbox.call("retrieve_charge", charge=charge_ref(None, 10000, "ngn", new_key()))
    assert info.status is ChargeStatus.NOT_FOUND
