"""The pinned Stripe API version, and the fake refusing what that version
refuses: every route's requests are checked against the stripe SDK's
generated params (``stripe.params``) for the SDK's version."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import stripe
from stripe._api_version import _ApiVersion

from fakestripe_params import API_VERSION as FAKE_VERSION
from fakestripe_params import params_class, validate
from fakestripe_state import StripeFail
from payproc.errors import ProcessorError
from payproc.types import PaymentRequest
from payproc_stripe.settings import API_VERSION
from stripe_world import make_backend


def _post(server, path, data, version=API_VERSION):
    return requests.post(f"{server.url}{path}", data=data, timeout=5, headers={
        "Authorization": f"Bearer {server.platform.secret_key}", "Stripe-Version": version})


def test_the_plugin_pins_the_version_the_sdk_describes():
    # payproc-stripe is tested against one version: the one stripe 16.1.0's params describe
    assert API_VERSION == "2026-10-28.endive" == _ApiVersion.CURRENT == FAKE_VERSION


def test_every_request_carries_the_pinned_version(world):
    request = PaymentRequest(amount=2000, currency="usd", customer=world.subscriber, provider=world.broker,
                             broker=world.broker, idempotency_key="v-1", token="tok_visa")
    world.call("create_payment", request=request, reference=None)
    assert world.server.requests and {r["stripe_version"] for r in world.server.requests} == {API_VERSION}


def test_payment_method_types_is_refused_on_the_pinned_version(fake_stripe):
    """Stripe's changelog (2026-09-30.endive): passing payment_method_types to a
    PaymentIntent create returns 400 payment_method_types_no_longer_supported."""
    answer = _post(fake_stripe, "/v1/payment_intents", {
        "amount": "2000", "currency": "usd", "payment_method_types[0]": "card"})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert (error["type"], error["code"], error["param"]) == (
        "invalid_request_error", "payment_method_types_no_longer_supported", "payment_method_types")
    assert not [obj for obj in fake_stripe.platform.objects.values() if obj["object"] == "payment_intent"]
    # the same request without it is accepted
    assert _post(fake_stripe, "/v1/payment_intents", {
        "amount": "2000", "currency": "usd", "allowed_payment_method_types[0]": "card"}).status_code == 200


def test_a_token_in_payment_method_data_is_an_unknown_parameter(fake_stripe):
    answer = _post(fake_stripe, "/v1/payment_intents", {
        "amount": "2000", "currency": "usd", "confirm": "true", "payment_method_data[type]": "card",
        "payment_method_data[card][token]": "tok_visa"})
    assert answer.status_code == 400
    assert answer.json()["error"] == {
        "type": "invalid_request_error", "code": "parameter_unknown", "param": "payment_method_data[card]",
        "message": "Received unknown parameter: payment_method_data[card]"}
    assert not [obj for obj in fake_stripe.platform.objects.values() if obj["object"] == "charge"]


@pytest.mark.parametrize("params,code,param", [
    ({"currency": "usd"}, "parameter_missing", "amount"),
    ({"amount": "12.5", "currency": "usd"}, "parameter_invalid_integer", "amount"),
    ({"amount": "100", "currency": "usd", "confirm": "yes"}, "parameter_invalid_boolean", "confirm"),
    ({"amount": "100", "currency": "usd", "transfer_data": {"destination": "acct_1", "bogus": "x"}},
     "parameter_unknown", "transfer_data[bogus]"),
    ({"amount": "100", "currency": "usd", "capture_method": "sometimes"}, None, "capture_method"),
    ({"amount": "100", "currency": "usd", "idempotency_key": "k"}, "parameter_unknown", "idempotency_key"),
])
def test_the_validator_follows_the_sdk_params(params, code, param):
    with pytest.raises(StripeFail) as caught:
        validate(params, "PaymentIntentCreateParams")
    assert caught.value.status == 400
    assert caught.value.body["error"]["param"] == param
    assert caught.value.body["error"].get("code") == code


def test_stripe_js_may_send_the_client_secret_only_with_the_publishable_key():
    validate({"client_secret": "pi_1_secret_2", "payment_method": "pm_card_visa"}, "PaymentIntentConfirmParams",
             publishable=True)
    with pytest.raises(StripeFail):
        validate({"client_secret": "pi_1_secret_2"}, "PaymentIntentConfirmParams")


def test_every_route_names_its_params_class(fake_stripe):
    for route in fake_stripe.routes:
        if route.params is None:
            assert route.unchecked and route.pattern.pattern.startswith("^/oauth/")
        else:
            assert params_class(route.params).__module__.startswith("stripe.params.")


def test_another_version_is_refused_by_the_fake_not_silently_checked(fake_stripe):
    answer = _post(fake_stripe, "/v1/customers", {}, version="2024-06-20")
    assert answer.status_code == 400 and answer.json()["error"]["param"] == "Stripe-Version"


def test_check_prints_the_version_in_use(tmp_path: Path):
    payproc = Path(sys.executable).with_name("payproc")
    env = {key: value for key, value in os.environ.items() if not key.startswith("PAYPROC_")}
    env.update(PAYPROC_PROCESSOR__BACKEND="stripe", PAYPROC_PROCESSOR__PRIV_KEY="sk_test_x",
               PAYPROC_PROCESSOR__WEBHOOK_SECRET="whsec_x", PAYPROC_DATABASE_URL=f"sqlite:///{tmp_path}/p.db")
    out = subprocess.run([str(payproc), "check"], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=60, check=False)
    assert f"Stripe API version: {API_VERSION}\n" in out.stdout
    (tmp_path / "payproc.toml").write_text('[PROCESSOR]\nBACKEND = "stripe"\nAPI_VERSION = "2024-06-20"\n')
    out = subprocess.run([str(payproc), "check"], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=60, check=False)
    assert f"Stripe API version: 2024-06-20 (not {API_VERSION}" in out.stdout
    assert "sk_test_x" not in out.stdout + out.stderr


def test_a_chosen_version_is_sent(fake_stripe):
    from stripe_harness import StripeHarness

    backend = make_backend(dict(StripeHarness(fake_stripe).processor_settings(), API_VERSION="2024-06-20"))
    with pytest.raises(ProcessorError, match="Stripe-Version"):  # the fake describes the pinned version only
        backend.call("list_customers", pattern=".", broker=None)
    assert fake_stripe.requests[-1]["stripe_version"] == "2024-06-20"
    assert stripe.VERSION.startswith("16.")
