"""The error mapping follows Razorpay's error bodies (the fake's answer
shapes are checked against the SDK's fixtures in test_razorpay_mocks.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from payproc.errors import (
    CardError,
    OutcomeUnknown,
    ProcessorError,
    ProcessorSetupError,
)
from payproc_razorpay.errors import map_error
from razorpay_helpers import BROKER

MOCKS = Path("/work/shared/data/razorpay-sdk-mocks")
needs_mocks = pytest.mark.skipif(not MOCKS.is_dir(), reason="the SDK's sample responses are not on this machine")


def mock(name):
    return json.loads((MOCKS / name).read_text())


@needs_mocks
def test_sdk_bad_request_fixture_is_a_processor_error():
    import razorpay

    detail = mock("bad_request_error.json")["error"]
    error = map_error(razorpay.errors.BadRequestError(detail["description"]), detail, 400, "p")
    assert type(error) is ProcessorError and "amount is invalid" in str(error)


@pytest.mark.parametrize(
    ("kind", "status", "detail", "expected"),
    [
        ("BadRequestError", 401, {"description": "Authentication failed", "source": "NA"}, ProcessorSetupError),
        ("BadRequestError", 400, {"description": "Payment failed", "source": "bank", "step": "payment_authorization",
                                  "reason": "payment_declined", "metadata": {"payment_id": "pay_1"}}, CardError),
        ("BadRequestError", 400, {"description": "x", "source": "customer", "step": "payment_authentication",
                                  "reason": "payment_timed_out"}, CardError),
        ("BadRequestError", 400, {"description": "bad field", "source": "business", "step": "payment_initiation",
                                  "reason": "input_validation_failed"}, ProcessorError),
        ("GatewayError", 502, {"description": "gateway"}, OutcomeUnknown),
        ("BadRequestError", 409, {"description": "request in process", "source": "business"}, OutcomeUnknown),
        ("ServerError", 500, {"description": "oops"}, OutcomeUnknown),
        ("ServerError", 503, None, OutcomeUnknown),
    ],
)
def test_error_mapping(kind, status, detail, expected):
    import razorpay

    error = map_error(getattr(razorpay.errors, kind)("message"), detail, status, "provider")
    assert type(error) is expected
    if expected is CardError and detail.get("metadata"):
        assert error.charge_processor_key == "pay_1"


def test_the_fake_rejects_unknown_routes_and_bad_bodies(harness, fake):
    if fake is None:
        pytest.skip("fake only")
    auth = (harness.key_id, harness.key_secret)
    answer = harness.session.get(harness.api_base + "/v1/nowhere", auth=auth, timeout=10)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "BAD_REQUEST_ERROR"
    answer = harness.session.post(harness.api_base + "/v1/orders", auth=auth, data=b"{not json", timeout=10)
    assert answer.status_code == 400
    assert set(answer.json()["error"]) == {"code", "description", "source", "step", "reason", "metadata", "field"}


def test_browser_integration(backend):
    integration = backend.call("browser_integration")
    assert integration.token_field == "razorpay_payment_id"
    assert integration.script_urls == ("https://checkout.razorpay.com/v1/checkout.js",)
    assert BROKER.is_broker
