"""The fake's 3-D Secure test cards and challenge page behave as Stripe's
testing docs describe (checked over HTTP, as any client would see them)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
import requests

from fakestripe_auth import CHALLENGE_PATH
from payproc_stripe.settings import API_VERSION


def _post(server, path, data):
    return requests.post(f"{server.url}{path}", data=data, timeout=5, allow_redirects=False, headers={
        "Authorization": f"Bearer {server.platform.secret_key}", "Stripe-Version": API_VERSION})


def _intent(server, card, **extra):
    data = {"amount": "2000", "currency": "usd", "allowed_payment_method_types[0]": "card", "confirm": "true",
            "payment_method": f"pm_card_{card}", **extra}
    return _post(server, "/v1/payment_intents", data)


def _charges(server):
    return [obj for obj in server.platform.objects.values() if obj["object"] == "charge"]


@pytest.mark.parametrize("card", ["threeDSecure2Required", "threeDSecureRequired", "authenticationRequired",
                                  "authenticationRequiredOnSetup", "authenticationRequiredSetupForOffSession"])
def test_on_session_a_challenge_then_success(fake_stripe, card):
    intent = _intent(fake_stripe, card).json()
    assert intent["status"] == "requires_action" and intent["next_action"]["type"] == "use_stripe_sdk"
    assert intent["latest_charge"] is None and not _charges(fake_stripe)
    answer = requests.post(f"{fake_stripe.url}{CHALLENGE_PATH}{intent['id']}", data={"outcome": "complete"},
                           timeout=5)
    assert answer.json() == {"id": intent["id"], "status": "succeeded"}
    assert len(_charges(fake_stripe)) == 1


def test_failed_challenge_leaves_the_intent_payable_again(fake_stripe):
    intent = _intent(fake_stripe, "threeDSecure2Required").json()
    requests.post(f"{fake_stripe.url}{CHALLENGE_PATH}{intent['id']}", data={"outcome": "fail"}, timeout=5)
    stored = fake_stripe.platform.objects[intent["id"]]
    assert stored["status"] == "requires_payment_method"
    assert stored["last_payment_error"]["code"] == "payment_intent_authentication_failure"
    assert not _charges(fake_stripe)


@pytest.mark.parametrize("card,expected", [
    ("threeDSecure2Required", 402), ("authenticationRequired", 402), ("authenticationRequiredOnSetup", 402),
    ("authenticationRequiredSetupForOffSession", 200), ("visa", 200)])
def test_off_session_authentication_required_is_a_decline(fake_stripe, card, expected):
    answer = _intent(fake_stripe, card, off_session="true")
    assert answer.status_code == expected
    if expected == 402:
        error = answer.json()["error"]
        assert (error["type"], error["code"]) == ("card_error", "authentication_required")
        assert error["payment_intent"]["status"] == "requires_payment_method"
        assert not _charges(fake_stripe)


def test_redirect_flow_returns_to_the_return_url(fake_stripe):
    intent = _intent(fake_stripe, "threeDSecure2Required", return_url="https://shop.example/return?x=1").json()
    assert intent["next_action"]["type"] == "redirect_to_url"
    page = intent["next_action"]["redirect_to_url"]["url"]
    assert "Complete authentication" in requests.get(page, timeout=5).text
    back = requests.post(page, data={"outcome": "complete"}, timeout=5, allow_redirects=False)
    assert back.status_code == 302
    location = urlparse(back.headers["Location"])
    query = parse_qs(location.query)
    assert location.netloc == "shop.example" and query["x"] == ["1"]
    assert query["payment_intent"] == [intent["id"]] and query["redirect_status"] == ["succeeded"]


def test_authenticated_then_declined(fake_stripe):
    intent = _intent(fake_stripe, "authenticationRequiredChargeDeclinedInsufficientFunds").json()
    requests.post(f"{fake_stripe.url}{CHALLENGE_PATH}{intent['id']}", data={"outcome": "complete"}, timeout=5)
    stored = fake_stripe.platform.objects[intent["id"]]
    assert stored["status"] == "requires_payment_method" and stored["last_payment_error"]["code"] == "card_declined"
    assert [charge["status"] for charge in _charges(fake_stripe)] == ["failed"]


def test_cancel_only_what_can_still_be_paid(fake_stripe):
    waiting = _post(fake_stripe, "/v1/payment_intents", {"amount": "2000", "currency": "usd"}).json()
    assert _post(fake_stripe, f"/v1/payment_intents/{waiting['id']}/cancel", {}).json()["status"] == "canceled"
    paid = _intent(fake_stripe, "visa").json()
    refused = _post(fake_stripe, f"/v1/payment_intents/{paid['id']}/cancel", {})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "payment_intent_unexpected_state"
    assert fake_stripe.platform.objects[paid["id"]]["status"] == "succeeded"


def test_below_stripes_minimum_is_refused(fake_stripe):
    answer = _post(fake_stripe, "/v1/payment_intents", {"amount": "49", "currency": "usd"})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "amount_too_small"
