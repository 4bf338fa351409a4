"""create_payment and create_charge with every test token."""

from __future__ import annotations

from datetime import date

import pytest
from payproc.errors import (
    CardDataRefused,
    CardError,
    OutcomeUnknown,
    ProcessorError,
    ProcessorSetupError,
)
from payproc.types import ChargeStatus, PaymentContext


def expected_expiry() -> date:
    today = date.today()
    return date(today.year + 1, today.month, 1)


def test_tok_visa_succeeds_with_the_test_card_receipt(backend, account, request_for):
    request = request_for("tok_visa", amount=1234, currency="eur")
    result = backend.call("create_payment", request=request, reference=None)
    assert result.processor_key.startswith("ch_fake_")
    assert (result.amount, result.currency, result.status) == (1234, "eur", ChargeStatus.SUCCEEDED)
    assert result.receipt.last4 == "4242"
    assert result.receipt.brand == "visa"
    assert result.receipt.card_name == "Joe Test"
    assert result.receipt.exp_date == expected_expiry()
    assert result.card_key is None
    [charge] = account.list_charges()
    assert charge["id"] == result.processor_key
    assert charge["status"] == "succeeded"
    assert charge["idempotency_key"] == request.idempotency_key
    assert charge["provider"] == "cowork"


def test_any_other_tok_token_succeeds(backend, request_for):
    result = backend.call("create_payment", request=request_for("tok_mastercard_whatever"), reference=None)
    assert result.status is ChargeStatus.SUCCEEDED
    assert result.receipt.last4 == "4242"


def test_the_charge_records_what_the_request_says(backend, account, request_for):
    request = request_for(broker_fee_amount=150, descr="Order 7", metadata={"order": "7"}, stmt_descr="COWORK")
    backend.call("create_payment", request=request, reference=None)
    [charge] = account.list_charges()
    assert charge["application_fee"] == 150
    assert charge["description"] == "Order 7"
    assert charge["metadata"] == {"order": "7"}
    assert charge["statement_descriptor"] == "COWORK"


@pytest.mark.parametrize(
    ("token", "code"),
    [("tok_decline", "card_declined"), ("tok_expired", "expired_card"), ("tok_insufficient_funds", "insufficient_funds")],
)
def test_declining_tokens_raise_card_error_with_the_failed_charge(backend, account, request_for, token, code):
    with pytest.raises(CardError) as caught:
        backend.call("create_payment", request=request_for(token), reference=None)
    assert caught.value.code == code
    [charge] = account.list_charges()
    assert caught.value.charge_processor_key == charge["id"]
    assert charge["id"].startswith("ch_fake_")
    assert charge["status"] == "failed"
    assert charge["failure_code"] == code


def test_tok_processor_error_is_a_plain_processor_error_and_charges_nothing(backend, account, request_for):
    with pytest.raises(ProcessorError) as caught:
        backend.call("create_payment", request=request_for("tok_processor_error"), reference=None)
    assert type(caught.value) is ProcessorError
    assert account.list_charges() == []


def test_tok_setup_error_names_the_provider(backend, account, request_for):
    with pytest.raises(ProcessorSetupError) as caught:
        backend.call("create_payment", request=request_for("tok_setup_error"), reference=None)
    assert caught.value.provider == "cowork"
    assert caught.value.revoked is False
    assert account.list_charges() == []


def test_tok_revoked_says_the_keys_are_revoked(backend, request_for):
    with pytest.raises(ProcessorSetupError) as caught:
        backend.call("create_payment", request=request_for("tok_revoked"), reference=None)
    assert caught.value.revoked is True
    assert caught.value.provider == "cowork"


def test_tok_timeout_makes_the_charge_then_loses_the_answer(backend, account, request_for, ref_for):
    request = request_for("tok_timeout")
    with pytest.raises(OutcomeUnknown):
        backend.call("create_payment", request=request, reference=None)
    [charge] = account.list_charges()
    assert charge["status"] == "succeeded"
    info = backend.call("retrieve_charge", charge=ref_for(request))  # no processor key: by idempotency key
    assert info.status is ChargeStatus.SUCCEEDED
    assert info.processor_key == charge["id"]
    assert info.amount == 2000
    by_key = backend.call("retrieve_charge", charge=ref_for(request, processor_key=charge["id"]))
    assert by_key.status is ChargeStatus.SUCCEEDED


def test_tok_unreachable_charges_nothing(backend, account, request_for, ref_for):
    request = request_for("tok_unreachable")
    with pytest.raises(OutcomeUnknown):
        backend.call("create_payment", request=request, reference=None)
    assert account.list_charges() == []
    info = backend.call("retrieve_charge", charge=ref_for(request))
    assert info.status is ChargeStatus.NOT_FOUND
    assert info.processor_key is None


def test_tok_mismatch_answers_another_amount(backend, account, request_for):
    result = backend.call("create_payment", request=request_for("tok_mismatch", amount=2000), reference=None)
    assert result.amount == 2001
    [charge] = account.list_charges()
    assert charge["amount"] == 2001


@pytest.mark.parametrize("number", ["4242424242424242", "4242 4242 4242 4242", "4000-0000-0000-0002", "4222222222222"])
def test_raw_card_numbers_are_refused_without_being_echoed(backend, account, request_for, number):
    with pytest.raises(CardDataRefused) as caught:
        backend.call("create_payment", request=request_for(number), reference=None)
    assert number not in str(caught.value)
    assert number.replace(" ", "").replace("-", "") not in str(caught.value)
    assert not account.requests


def test_short_digit_strings_are_not_mistaken_for_card_numbers(backend, request_for):
    with pytest.raises(ProcessorError) as caught:  # not a token this processor issued
        backend.call("create_payment", request=request_for("123456789012"), reference=None)
    assert not isinstance(caught.value, CardDataRefused)


def test_an_unknown_token_is_refused(backend, account, request_for):
    with pytest.raises(ProcessorError, match="No such token"):
        backend.call("create_payment", request=request_for("pm_not_ours"), reference=None)
    assert account.list_charges() == []


def test_create_payment_without_token_uses_the_card_on_file(backend, request_for, subscriber, provider, broker):
    update = backend.call("create_or_update_card", subscriber=subscriber, token="tok_visa", provider=provider, broker=broker)
    customer = type(subscriber)(subscriber.slug, keys=type(subscriber.keys)(card_key=update.card_key))
    result = backend.call("create_payment", request=request_for(None, customer=customer), reference=None)
    assert result.card_key == update.card_key
    assert result.status is ChargeStatus.SUCCEEDED


def test_create_payment_without_any_payment_method_is_card_absent(backend, request_for):
    with pytest.raises(CardError) as caught:
        backend.call("create_payment", request=request_for(None), reference=None)
    assert caught.value.code == "card_absent"


def test_payment_context_and_browser_integration(backend, subscriber, provider, broker):
    context = backend.call(
        "get_payment_context", subscriber=subscriber, amount=2000, currency="usd", provider=provider,
        broker=broker, broker_fee_amount=0, idempotency_key="k",
    )
    assert isinstance(context, PaymentContext)
    assert context.values == {"FAKE_PUB_KEY": "pk_fake", "amount": 2000, "currency": "usd"}
    assert context.token_field == "stripeToken"
    assert context.reference is None
    card_update = backend.call(
        "get_payment_context", subscriber=subscriber, amount=None, currency=None, provider=broker,
        broker=broker, broker_fee_amount=0, idempotency_key=None,
    )
    assert card_update.values == {"FAKE_PUB_KEY": "pk_fake"}
    integration = backend.call("browser_integration")
    assert integration.token_field == "stripeToken"
    assert integration.script_urls == ("backends/fake/tokenizer.js",)
    assert integration.notes
    assert backend.token_field == "stripeToken"


def test_payment_context_uses_the_configured_pub_key(make_backend, subscriber, provider, broker):
    backend = make_backend(PUB_KEY="pk_fake_other")
    context = backend.call(
        "get_payment_context", subscriber=subscriber, amount=5, currency="usd", provider=provider,
        broker=broker, broker_fee_amount=0, idempotency_key="k",
    )
    assert context.values["FAKE_PUB_KEY"] == "pk_fake_other"


def test_a_call_written_for_contract_1_0_is_complete(backend, subscriber, provider, broker):
    """``get_payment_context`` gained ``return_url`` in 1.1: a caller that
    does not pass it (a backend's own 1.0 tests) makes a complete call —
    the backend sees ``None`` and pluggy does not warn of a missing argument."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        context = backend.call(
            "get_payment_context", subscriber=subscriber, amount=2000, currency="usd", provider=provider,
            broker=broker, broker_fee_amount=0, idempotency_key="k",
        )
    assert context.next_action is None
