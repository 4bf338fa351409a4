"""The fake processor's customer action: challenged charges answered with the
test code, ``complete_payment`` that trusts the processor and not the
params, ``cancel_payment`` of abandoned payments, and a payment that keeps
the card with one charge (``save_card``)."""

from __future__ import annotations

import pytest
from payproc.errors import CardError, ProcessorError
from payproc.types import ChargeStatus
from payproc_fake import actions


def _challenged(backend, request_for, ref_for, token="tok_3ds", **overrides):
    request = request_for(token, **overrides)
    result = backend.call("create_payment", request=request, reference=None)
    assert result.status is ChargeStatus.REQUIRES_ACTION
    return request, result, ref_for(request, result)


def test_a_challenged_charge_holds_no_money_and_says_what_to_do(backend, account, request_for, ref_for):
    _request, result, ref = _challenged(backend, request_for, ref_for)
    assert result.next_action.kind == "script"
    assert result.next_action.values["challenge"].startswith("3ds_fake_")
    (charge,) = account.list_charges()
    assert (charge["id"], charge["status"]) == (result.processor_key, "requires_action")
    info = backend.call("retrieve_charge", charge=ref)
    assert info.status is ChargeStatus.REQUIRES_ACTION and info.next_action.values == result.next_action.values


def test_redirect_challenge_points_at_the_challenge_page_and_back(backend, request_for, ref_for):
    _request, result, _ref = _challenged(backend, request_for, ref_for, "tok_3ds_redirect",
                                         return_url="http://127.0.0.1:8000/return/k1")
    assert result.next_action.kind == "redirect"
    assert result.next_action.url.startswith("backends/fake/challenge.html?challenge=3ds_fake_")
    assert "return_url=http%3A%2F%2F127.0.0.1%3A8000%2Freturn%2Fk1" in result.next_action.url


def test_complete_payment_with_the_right_code_pays(backend, account, request_for, ref_for):
    _request, result, ref = _challenged(backend, request_for, ref_for)
    challenge = result.next_action.values["challenge"]
    paid = backend.call("complete_payment", charge=ref, params={"challenge": challenge, "otp": actions.TEST_OTP})
    assert (paid.status, paid.processor_key, paid.amount) == (ChargeStatus.SUCCEEDED, result.processor_key, 2000)
    assert account.list_charges()[0]["status"] == "succeeded"
    # Answered once: a second, wrong answer changes nothing.
    again = backend.call("complete_payment", charge=ref, params={"challenge": challenge, "otp": "000000"})
    assert again.status is ChargeStatus.SUCCEEDED


def test_complete_payment_with_a_wrong_code_is_a_card_error(backend, account, request_for, ref_for):
    _request, result, ref = _challenged(backend, request_for, ref_for)
    with pytest.raises(CardError) as caught:
        backend.call("complete_payment", charge=ref,
                     params={"challenge": result.next_action.values["challenge"], "otp": "999999"})
    assert (caught.value.code, caught.value.charge_processor_key) == ("authentication_failed", result.processor_key)
    assert account.list_charges()[0]["status"] == "failed"


def test_complete_payment_never_trusts_the_params(backend, account, request_for, ref_for):
    _request, _result, ref = _challenged(backend, request_for, ref_for)
    still = backend.call("complete_payment", charge=ref, params={"status": "succeeded", "paid": "1"})
    assert still.status is ChargeStatus.REQUIRES_ACTION
    assert account.list_charges()[0]["status"] == "requires_action"


def test_cancel_payment_cancels_a_challenged_charge(backend, account, request_for, ref_for):
    _request, result, ref = _challenged(backend, request_for, ref_for)
    info = backend.call("cancel_payment", charge=ref)
    assert info.status is ChargeStatus.CANCELED
    assert backend.call("retrieve_charge", charge=ref).status is ChargeStatus.CANCELED
    # The customer answering the challenge afterwards pays nothing.
    actions.answer_challenge(account, result.next_action.values["challenge"], actions.TEST_OTP)
    assert account.list_charges()[0]["status"] == "canceled"


def test_cancel_payment_before_any_charge_closes_the_key(backend, account, request_for, ref_for):
    request = request_for("tok_visa")
    info = backend.call("cancel_payment", charge=ref_for(request))
    assert info.status is ChargeStatus.CANCELED and info.processor_key is None
    with pytest.raises(ProcessorError, match="canceled"):
        backend.call("create_payment", request=request, reference=None)
    assert account.list_charges() == []


def test_cancel_payment_of_a_paid_charge_says_it_is_paid(backend, request_for, ref_for):
    request = request_for("tok_visa")
    result = backend.call("create_payment", request=request, reference=None)
    info = backend.call("cancel_payment", charge=ref_for(request, result))
    assert (info.status, info.processor_key) == (ChargeStatus.SUCCEEDED, result.processor_key)


def test_save_card_keeps_the_card_with_one_charge(backend, account, request_for):
    result = backend.call("create_payment", request=request_for("tok_visa", save_card=True), reference=None)
    assert result.status is ChargeStatus.SUCCEEDED and result.card_key.startswith("cus_fake_")
    assert [c["customer"] for c in account.list_charges()] == [result.card_key]
    assert account.requests.count("create_charge") == 1
