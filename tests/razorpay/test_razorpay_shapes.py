"""The fake answers in the shapes of the SDK's own fixtures, and the error
mapping follows Razorpay's error bodies."""

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
from razorpay_helpers import BROKER, PROVIDER

MOCKS = Path("/work/shared/data/razorpay-sdk-mocks")
needs_mocks = pytest.mark.skipif(not MOCKS.is_dir(), reason="the SDK's sample responses are not on this machine")


def mock(name):
    return json.loads((MOCKS / name).read_text())


@needs_mocks
def test_entities_have_the_sdk_fixture_keys(checkout, backend, subscriber, key, fake, backdoor):
    from razorpay_helpers import charge_ref

    result, context = checkout(subscriber, 500000, "inr", key)
    refund = backend.call("refund_charge", charge=charge_ref(subscriber, 500000, "inr", key, result.processor_key),
                          amount=1000, broker_amount=0, idempotency_key="rf")
    transfer = backend.call("create_transfer", provider=PROVIDER, amount=1000, currency="inr", descr=None,
                            idempotency_key="tr")
    api = backdoor.session
    auth = (backdoor.key_id, backdoor.key_secret)

    def get(path):
        return api.get(backdoor.api_base + path, auth=auth, timeout=10).json()

    for path, sample in [
        (f"/v1/orders/{context.reference}", "fake_order.json"),
        (f"/v1/payments/{result.processor_key}", "fake_captured_payment.json"),
        (f"/v1/refunds/{refund.processor_key}", "fake_refund.json"),
        (f"/v1/transfers/{transfer.processor_key}", "fake_transfer.json"),
    ]:
        missing = set(mock(sample)) - set(get(path)) - {"udf", "service_tax"}  # old-API fields (tax replaced service_tax)
        assert not missing, (sample, missing)
    collection = get(f"/v1/payments/{result.processor_key}/refunds")
    assert set(mock("refund_collection.json")) <= set(collection)
    [(body, _)] = backdoor.deliveries("payment.captured")
    assert set(mock("fake_payment_authorized_webhook.json")) <= set(json.loads(body))
    payment = json.loads(body)["payload"]["payment"]["entity"]
    assert set(mock("fake_payment_authorized_webhook.json")["payload"]["payment"]["entity"]) <= set(payment) | {
        "service_tax"}  # Razorpay renamed service_tax to tax


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
