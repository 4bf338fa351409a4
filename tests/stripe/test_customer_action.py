"""The customer must act (3-D Secure): on-session payments come back as
REQUIRES_ACTION with what the browser needs, the return is verified with
Stripe, abandoned contexts are cancelled, and off-session renewals that need
the cardholder keep their PaymentIntent instead of counting as declines."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import parse_qs, urlparse

import pytest

from payproc.errors import CardError, ProcessorError
from payproc.types import ActionKind, ChargeRef, ChargeStatus, Party, PaymentRequest, ProcessorKeys


def _request(world, key, **kwargs):
    values = {"amount": 2000, "currency": "usd", "customer": world.subscriber, "provider": world.broker,
              "broker": world.broker, "idempotency_key": key}
    values.update(kwargs)
    return PaymentRequest(**values)


def _ref(world, key, processor_key, reference=None):
    return ChargeRef(processor_key=processor_key, amount=2000, currency="usd", idempotency_key=key,
                     created_at=datetime.now(timezone.utc), customer=world.subscriber, provider=world.broker,
                     broker=world.broker, reference=reference)


def _intent_creates(world):
    return [r["params"] for r in world.server.requests if r["method"] == "POST" and r["path"] == "/v1/payment_intents"]


def test_on_session_challenge_then_return(world):
    result = world.call("create_payment", request=_request(world, "a-1", token="pm_card_threeDSecure2Required"),
                        reference=None)
    assert result.status == ChargeStatus.REQUIRES_ACTION and result.processor_key.startswith("pi_")
    action = result.next_action
    assert action.kind == ActionKind.SCRIPT
    assert action.values["client_secret"].startswith(result.processor_key + "_secret_")
    assert "off_session" not in _intent_creates(world)[-1]  # the customer is there: Stripe may ask for 3DS
    assert world.harness.processor_charges("a-1") == []
    ref = _ref(world, "a-1", result.processor_key)
    assert world.call("retrieve_charge", charge=ref).status == ChargeStatus.REQUIRES_ACTION
    world.harness.answer_challenge(result.processor_key, "complete")
    done = world.call("complete_payment", charge=ref, params={})
    assert done.status == ChargeStatus.SUCCEEDED and done.processor_key == result.processor_key  # one key throughout
    assert world.call("complete_payment", charge=ref, params={}).processor_key == done.processor_key  # twice: same
    assert len(world.harness.processor_charges("a-1")) == 1


def test_failed_challenge_is_a_decline(world):
    result = world.call("create_payment", request=_request(world, "a-2", token="pm_card_threeDSecure2Required"),
                        reference=None)
    world.harness.answer_challenge(result.processor_key, "fail")
    ref = _ref(world, "a-2", result.processor_key)
    with pytest.raises(CardError) as caught:
        world.call("complete_payment", charge=ref, params={})
    assert caught.value.code == "payment_intent_authentication_failure"
    assert world.call("retrieve_charge", charge=ref).status == ChargeStatus.FAILED
    assert world.harness.processor_charges("a-2") == []


def test_return_url_makes_it_a_redirect_and_the_return_is_verified(world):
    request = _request(world, "a-3", token="tok_threeDSecure2Required", return_url="https://shop.example/r/a-3")
    result = world.call("create_payment", request=request, reference=None)
    assert result.next_action.kind == ActionKind.REDIRECT and result.next_action.url.startswith(world.server.url)
    back = world.harness.answer_challenge(result.processor_key, "complete")
    params = {key: value[0] for key, value in parse_qs(urlparse(back.headers["Location"]).query).items()}
    assert params["payment_intent"] == result.processor_key
    ref = _ref(world, "a-3", result.processor_key)
    with pytest.raises(ProcessorError, match="not the one made"):
        world.call("complete_payment", charge=ref, params={**params, "payment_intent": "pi_forged"})
    assert world.call("complete_payment", charge=ref, params=params).status == ChargeStatus.SUCCEEDED


def test_params_alone_are_never_proof(world):
    paid = world.call("create_payment", request=_request(world, "other", token="pm_card_visa"), reference=None)
    intent = paid.processor_key
    # a charge payproc knows nothing stored for: someone else's PaymentIntent is refused
    with pytest.raises(ProcessorError, match="not made for this charge"):
        world.call("complete_payment", charge=_ref(world, "mine", None), params={"payment_intent": intent})


def test_browser_confirmed_intent_needing_a_challenge(world):
    context = world.call("get_payment_context", return_url=None, subscriber=world.subscriber, amount=2000,
                         currency="usd", provider=world.broker, broker=world.broker, broker_fee_amount=0,
                         idempotency_key="a-4")
    world.harness.confirm_in_browser(context, "pm_card_threeDSecure2Required")
    result = world.call("create_payment", request=_request(world, "a-4", token=context.reference),
                        reference=context.reference)
    assert result.status == ChargeStatus.REQUIRES_ACTION
    world.harness.answer_challenge(context.reference, "complete")
    ref = _ref(world, "a-4", None, reference=context.reference)
    assert world.call("complete_payment", charge=ref, params={"payment_intent": context.reference}).status == (
        ChargeStatus.SUCCEEDED)


def test_off_session_renewal_needing_the_cardholder_keeps_its_intent(world):
    update = world.call("create_or_update_card", subscriber=world.subscriber, token="pm_card_visa",
                        provider=world.broker, broker=world.broker)
    # the card on file becomes one that wants authentication for every payment
    customer = world.server.platform.objects[update.card_key]
    method = world.server.state.card_method(world.server.platform, "authenticationRequired")
    method["customer"] = update.card_key
    customer["invoice_settings"]["default_payment_method"] = method["id"]
    subscriber = Party("alice", keys=ProcessorKeys(card_key=update.card_key))
    result = world.call("create_charge", request=_request(world, "renew-3ds", customer=subscriber, off_session=True))
    assert _intent_creates(world)[-1]["off_session"] == "true"
    assert result.status == ChargeStatus.REQUIRES_ACTION and result.processor_key.startswith("pi_")
    assert result.next_action.values["payment_method"] == method["id"]
    assert result.next_action.values["client_secret"].startswith(result.processor_key)
    info = world.call("retrieve_charge", charge=_ref(world, "renew-3ds", result.processor_key))
    assert info.status == ChargeStatus.REQUIRES_ACTION  # not a decline: the customer can still pay
    assert world.harness.processor_charges("renew-3ds") == []


def test_off_session_plain_decline_is_still_a_decline(world):
    update = world.call("create_or_update_card", subscriber=world.subscriber, token="pm_card_chargeCustomerFail",
                        provider=world.broker, broker=world.broker)
    subscriber = Party("alice", keys=ProcessorKeys(card_key=update.card_key))
    with pytest.raises(CardError) as caught:
        world.call("create_charge", request=_request(world, "renew-x", customer=subscriber, off_session=True))
    assert caught.value.code == "card_declined"


def test_abandoned_context_is_awaiting_then_cancelled(world):
    context = world.call("get_payment_context", return_url=None, subscriber=world.subscriber, amount=2000,
                         currency="usd", provider=world.broker, broker=world.broker, broker_fee_amount=0,
                         idempotency_key="a-5")
    ref = _ref(world, "a-5", None, reference=context.reference)
    assert world.call("retrieve_charge", charge=ref).status == ChargeStatus.AWAITING_CUSTOMER
    assert world.call("cancel_payment", charge=ref).status == ChargeStatus.CANCELED
    assert world.server.platform.objects[context.reference]["status"] == "canceled"
    assert world.call("retrieve_charge", charge=ref).status == ChargeStatus.CANCELED


def test_cancel_after_the_customer_paid_says_paid(world):
    context = world.call("get_payment_context", return_url=None, subscriber=world.subscriber, amount=2000,
                         currency="usd", provider=world.broker, broker=world.broker, broker_fee_amount=0,
                         idempotency_key="a-6")
    world.harness.pay(context, 2000, "usd")
    info = world.call("cancel_payment", charge=_ref(world, "a-6", None, reference=context.reference))
    assert info.status == ChargeStatus.SUCCEEDED and info.processor_key == context.reference
    assert world.server.platform.objects[context.reference]["status"] == "succeeded"


def test_save_card_is_one_payment(world):
    request = _request(world, "save-1", token="tok_visa", save_card=True)
    result = world.call("create_payment", request=request, reference=None)
    assert result.status == ChargeStatus.SUCCEEDED and result.card_key.startswith("cus_")
    assert len(_intent_creates(world)) == 1 and len(world.harness.processor_charges("save-1")) == 1
    method = world.server.platform.objects[world.server.platform.objects[result.processor_key]["payment_method"]]
    assert result.processor_key.startswith("pi_")
    assert method["customer"] == result.card_key


def test_browser_confirmed_checkout_remembering_the_card_is_one_charge(world):
    context = world.call("get_payment_context", return_url=None, subscriber=world.subscriber, amount=2000,
                         currency="usd", provider=world.broker, broker=world.broker, broker_fee_amount=0,
                         idempotency_key="save-2")
    token, _ = world.harness.pay(context, 2000, "usd")
    result = world.call("create_payment", request=_request(world, "save-2", token=token, save_card=True),
                        reference=context.reference)
    update = world.call("create_or_update_card", subscriber=world.subscriber, token=token, provider=world.broker,
                        broker=world.broker)
    assert result.card_key == update.card_key
    assert len(world.harness.processor_charges("save-2")) == 1
    assert len(_intent_creates(world)) == 1  # the context's intent only


@pytest.mark.parametrize("currency,minimum", [("usd", 50), ("gbp", 30), ("jpy", 50), ("huf", 17500), ("xof", 1)])
def test_minimum_amount(world, currency, minimum):
    assert world.call("minimum_amount", currency=currency) == minimum
    if minimum > 1:
        with pytest.raises(ProcessorError, match="at least"):
            world.call("create_payment", request=_request(world, f"min-{currency}", token="pm_card_visa",
                                                          amount=minimum - 1, currency=currency), reference=None)


def test_list_payments_carries_the_keys(world):
    since = datetime.now(timezone.utc).replace(microsecond=0)
    world.call("create_payment", request=_request(world, "l-1", token="pm_card_visa"), reference=None)
    world.call("create_payment", request=_request(world, "l-2", token="pm_card_threeDSecure2Required"),
               reference=None)
    found = world.call("list_payments", since=since, until=datetime.now(timezone.utc).replace(year=2100))
    assert {(info.idempotency_key, info.status) for info in found} == {
        ("l-1", ChargeStatus.SUCCEEDED), ("l-2", ChargeStatus.REQUIRES_ACTION)}


def test_distribution_of_a_payment_known_by_its_intent(world):
    result = world.call("create_payment", request=_request(world, "a-d", token="pm_card_threeDSecure2Required"),
                        reference=None)
    world.harness.answer_challenge(result.processor_key, "complete")
    split = world.call("charge_distribution", charge=_ref(world, "a-d", result.processor_key), refunded=0,
                       broker_fee_amount=0)
    assert (split.distribute_amount, split.processor_fee_amount) == (1912, 88)  # the charge's real fee
