"""Payments through the browser flow, one-time tokens and the card on file;
declines, idempotency, lost answers and integrity checks."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from payproc.errors import (
    CardError,
    IntegrityMismatch,
    InvalidAmount,
    InvalidInput,
    OutcomeUnknown,
    ProcessorError,
)
from payproc.types import ChargeRef, ChargeStatus, Party, PaymentRequest, ProcessorKeys
from payproc_stripe.builders import statement_descriptor_suffix


def _request(world, key, **kwargs):
    values = {"amount": 2000, "currency": "usd", "customer": world.subscriber, "provider": world.broker,
                  "broker": world.broker, "idempotency_key": key}
    values.update(kwargs)
    return PaymentRequest(**values)


def _ref(world, key, processor_key, amount=2000, **kwargs):
    return ChargeRef(processor_key=processor_key, amount=amount, currency="usd", idempotency_key=key,
                     created_at=datetime.now(timezone.utc), customer=world.subscriber,
                     provider=kwargs.pop("provider", world.broker), broker=world.broker, **kwargs)


def test_browser_confirms_the_context_intent(world):
    context = world.call("get_payment_context", return_url=None, subscriber=world.subscriber, amount=2000, currency="usd",
                         provider=world.broker, broker=world.broker, broker_fee_amount=0, idempotency_key="ctx-1")
    assert context.values["STRIPE_PUB_KEY"] == world.server.platform.publishable_key
    assert context.reference.startswith("pi_") and context.values["STRIPE_INTENT_SECRET"].startswith(context.reference)
    token, _ = world.harness.pay(context, 2000, "usd")
    result = world.call("create_payment", request=_request(world, "ctx-1", token=token), reference=context.reference)
    assert result.status == ChargeStatus.SUCCEEDED and result.amount == 2000
    assert result.card_key and result.card_key.startswith("cus_")  # setup_future_usage kept the card
    assert world.harness.processor_charges("ctx-1")[0]["id"] == result.processor_key


def test_context_without_amount_is_a_setup_intent(world):
    context = world.call("get_payment_context", return_url=None, subscriber=world.subscriber, amount=None, currency=None,
                         provider=world.broker, broker=world.broker, broker_fee_amount=0, idempotency_key=None)
    assert context.reference.startswith("seti_")
    response = world.harness.confirm_in_browser(context, "pm_card_visa")
    assert response.status_code == 200
    update = world.call("create_or_update_card", subscriber=world.subscriber, token=context.reference,
                        provider=world.broker, broker=world.broker)
    assert update.card.last4 == "4242"


def test_zero_amount_context_is_only_the_key(world):
    context = world.call("get_payment_context", return_url=None, subscriber=world.subscriber, amount=0, currency="usd",
                         provider=world.broker, broker=world.broker, broker_fee_amount=0, idempotency_key="z")
    assert dict(context.values) == {"STRIPE_PUB_KEY": world.server.platform.publishable_key}
    assert not world.server.requests


def test_declined_in_browser_is_a_card_error_with_the_charge(world):
    context = world.call("get_payment_context", return_url=None, subscriber=world.subscriber, amount=2000, currency="usd",
                         provider=world.broker, broker=world.broker, broker_fee_amount=0, idempotency_key="d-1")
    token, _ = world.harness.pay(context, 2000, "usd", outcome="decline")
    with pytest.raises(CardError) as caught:
        world.call("create_payment", request=_request(world, "d-1", token=token), reference=context.reference)
    assert caught.value.code == "card_declined"
    intent = world.server.platform.objects[caught.value.charge_processor_key]
    charge = world.server.platform.objects[intent["latest_charge"]]
    assert charge["status"] == "failed"


@pytest.mark.parametrize("token,code", [("tok_chargeDeclined", "card_declined"),
                                        ("tok_chargeDeclinedExpiredCard", "expired_card"),
                                        ("pm_card_chargeDeclinedInsufficientFunds", "card_declined")])
def test_declined_token(world, token, code):
    with pytest.raises(CardError) as caught:
        world.call("create_payment", request=_request(world, f"dec-{token}", token=token), reference=None)
    assert caught.value.code == code
    assert caught.value.charge_processor_key in world.server.platform.objects


def test_pi_token_must_be_the_context_intent(world):
    with pytest.raises(ProcessorError, match="not the one made"):
        world.call("create_payment", request=_request(world, "x", token="pi_other"), reference="pi_mine")


def test_pi_with_another_amount_is_an_integrity_mismatch(world):
    context = world.call("get_payment_context", return_url=None, subscriber=world.subscriber, amount=2000, currency="usd",
                         provider=world.broker, broker=world.broker, broker_fee_amount=0, idempotency_key="im")
    token, _ = world.harness.pay(context, 2000, "usd")
    with pytest.raises(IntegrityMismatch):
        world.call("create_payment", request=_request(world, "im", token=token, amount=1999),
                   reference=context.reference)


def test_card_on_file(world):
    update = world.call("create_or_update_card", subscriber=world.subscriber, token="tok_mastercard",
                        provider=world.broker, broker=world.broker)
    customer = Party("alice", keys=ProcessorKeys(card_key=update.card_key))
    result = world.call("create_charge", request=_request(world, "renew-1", customer=customer, off_session=True))
    assert result.receipt.last4 == "4444" and result.receipt.brand == "mastercard"
    intent = [r for r in world.server.requests if r["path"] == "/v1/payment_intents"][-1]["params"]
    assert intent["off_session"] == "true" and intent["confirm"] == "true"
    assert intent["customer"] == update.card_key
    assert intent["metadata"]["payproc_idempotency_key"] == "renew-1"


def test_retry_reuses_the_key_and_charges_once(world):
    request = _request(world, "same-key", token="tok_visa")
    first = world.call("create_payment", request=request, reference=None)
    second = world.call("create_payment", request=request, reference=None)
    assert first.processor_key == second.processor_key
    assert len(world.harness.processor_charges("same-key")) == 1
    keys = [r["idempotency_key"] for r in world.server.requests if r["path"] == "/v1/payment_intents"]
    assert keys == ["same-key", "same-key"]


def test_same_key_other_parameters_is_refused(world):
    world.call("create_payment", request=_request(world, "k2", token="tok_visa"), reference=None)
    with pytest.raises(ProcessorError, match="same parameters"):
        world.call("create_payment", request=_request(world, "k2", token="tok_visa", amount=2500), reference=None)
    assert len(world.harness.processor_charges("k2")) == 1


def test_lost_answer_is_unknown_then_settled(world):
    context = world.call("get_payment_context", return_url=None, subscriber=world.subscriber, amount=2000, currency="usd",
                         provider=world.broker, broker=world.broker, broker_fee_amount=0, idempotency_key="lost")
    token, _ = world.harness.pay(context, 2000, "usd", outcome="unknown")
    with pytest.raises(OutcomeUnknown):
        world.call("create_payment", request=_request(world, "lost", token=token), reference=context.reference)
    info = world.call("retrieve_charge", charge=_ref(world, "lost", None))
    assert info.status == ChargeStatus.SUCCEEDED and info.amount == 2000
    assert info.processor_key == world.harness.processor_charges("lost")[0]["id"]
    # a retry with the same key replays the answer instead of charging again
    result = world.call("create_payment", request=_request(world, "lost", token=token), reference=context.reference)
    assert result.processor_key == info.processor_key


def test_timeout_is_unknown(fake_stripe):
    from stripe_world import World, make_backend

    world = World(fake_stripe)
    settings = dict(world.harness.processor_settings(), TIMEOUT=0.3)
    backend = make_backend(settings)
    fake_stripe.fail_next("POST", "^/v1/payment_intents$", delay=1.0)
    with pytest.raises(OutcomeUnknown):
        backend.call("create_payment", request=_request(world, "slow", token="tok_visa"), reference=None)


def test_server_error_before_work_is_unknown(world):
    world.server.fail_next("POST", "^/v1/payment_intents$", status=503, after=False)
    with pytest.raises(OutcomeUnknown):
        world.call("create_payment", request=_request(world, "503", token="tok_visa"), reference=None)
    info = world.call("retrieve_charge", charge=_ref(world, "503", None))
    assert info.status == ChargeStatus.NOT_FOUND


def test_retrieve_charge_states(world):
    ok = world.call("create_payment", request=_request(world, "r1", token="tok_visa"), reference=None)
    info = world.call("retrieve_charge", charge=_ref(world, "r1", ok.processor_key))
    assert info.status == ChargeStatus.SUCCEEDED and info.receipt.last4 == "4242" and not info.disputed
    world.server.state.dispute(world.server.platform, world.server.platform.objects[ok.processor_key]["latest_charge"])
    assert world.call("retrieve_charge", charge=_ref(world, "r1", ok.processor_key)).disputed
    with pytest.raises(CardError) as caught:
        world.call("create_payment", request=_request(world, "r2", token="tok_chargeDeclined"), reference=None)
    failed = world.call("retrieve_charge", charge=_ref(world, "r2", caught.value.charge_processor_key))
    assert failed.status == ChargeStatus.FAILED and failed.failure_code == "card_declined"
    assert world.call("retrieve_charge", charge=_ref(world, "r3", "ch_nope")).status == ChargeStatus.NOT_FOUND


def test_statement_descriptor_suffix():
    assert statement_descriptor_suffix("Cowork <Provider> \"Paris\" Office*") == "Cowork Provider Paris"
    assert statement_descriptor_suffix("12345") is None
    assert statement_descriptor_suffix(None) is None


def test_descriptor_from_provider_name_is_accepted(world):
    provider = Party("longname", "A very long provider name that Stripe would refuse")
    world.call("create_payment", request=_request(world, "sd", token="tok_visa", provider=provider,
                                                  stmt_descr=None), reference=None)
    params = [r for r in world.server.requests if r["path"] == "/v1/payment_intents"][-1]["params"]
    assert params["statement_descriptor_suffix"] == "A very long provider n"
    assert "statement_descriptor" not in params


def test_zero_decimal_and_special_currencies(world):
    jpy = world.call("create_payment", request=_request(world, "jpy", token="tok_visa", amount=500,
                                                        currency="jpy"), reference=None)
    assert jpy.amount == 500
    params = [r for r in world.server.requests if r["path"] == "/v1/payment_intents"][-1]["params"]
    assert params["amount"] == "500"
    isk = world.call("create_payment", request=_request(world, "isk", token="tok_visa", amount=5,
                                                        currency="isk"), reference=None)
    params = [r for r in world.server.requests if r["path"] == "/v1/payment_intents"][-1]["params"]
    assert params["amount"] == "500" and isk.amount == 5
    with pytest.raises(InvalidAmount):
        world.call("create_payment", request=_request(world, "kwd", token="tok_visa", amount=1005,
                                                      currency="kwd"), reference=None)


def test_revoked_provider_access_is_a_setup_error(fake_stripe):
    from stripe_world import World

    world = World(fake_stripe, mode=2)
    world.provider_account.revoked = True
    with pytest.raises(Exception) as caught:
        world.call("create_payment", request=_request(world, "rev", token="tok_visa", provider=world.provider),
                   reference=None)
    from payproc.errors import ProcessorSetupError

    assert isinstance(caught.value, ProcessorSetupError)
    assert caught.value.provider == "provider" and caught.value.revoked
    assert fake_stripe.platform.secret_key not in str(caught.value)


def test_settling_reads_the_stored_payment_intent_before_searching(world):
    context = world.call("get_payment_context", return_url=None, subscriber=world.subscriber, amount=2000, currency="usd",
                         provider=world.broker, broker=world.broker, broker_fee_amount=0, idempotency_key="st-1")
    before = len(world.server.requests)
    awaiting = world.call("retrieve_charge", charge=_ref(world, "st-1", None, reference=context.reference))
    # the customer has not paid yet and still may: never reported missing or failed
    assert awaiting.status not in (ChargeStatus.NOT_FOUND, ChargeStatus.FAILED)
    world.harness.pay(context, 2000, "usd")
    paid = world.call("retrieve_charge", charge=_ref(world, "st-1", None, reference=context.reference))
    assert paid.status == ChargeStatus.SUCCEEDED and paid.processor_key == context.reference
    paths = [r["path"] for r in world.server.requests[before:] if r["method"] == "GET"]
    assert paths == [f"/v1/payment_intents/{context.reference}"] * 2  # no search


def test_a_cus_token_is_only_the_payers_own_card(world):
    """Another customer's ``cus_…`` posted as the token is refused before any
    request: nothing is charged."""
    with pytest.raises(InvalidInput, match="not this customer's"):
        world.call("create_payment", request=_request(world, "cus-other", token="cus_SomeoneElse"), reference=None)
    assert world.harness.processor_charges("cus-other") == []


def test_a_pi_token_without_a_stored_intent_must_be_made_for_this_charge(world):
    """A paid intent of the same amount made for another purchase (its
    metadata names another key) does not pay a charge that stored none."""
    context = world.call("get_payment_context", return_url=None, subscriber=world.subscriber, amount=2000,
                         currency="usd", provider=world.broker, broker=world.broker, broker_fee_amount=0,
                         idempotency_key="first-purchase")
    token, _ = world.harness.pay(context, 2000, "usd")
    before = len(world.server.requests)
    with pytest.raises(ProcessorError, match="not made for this charge"):
        world.call("create_payment", request=_request(world, "second-purchase", token=token), reference=None)
    assert [r["method"] for r in world.server.requests[before:]] == ["GET"]  # read, nothing created or confirmed
    paid = world.call("create_payment", request=_request(world, "first-purchase", token=token), reference=None)
    assert paid.status == ChargeStatus.SUCCEEDED and paid.processor_key == token
