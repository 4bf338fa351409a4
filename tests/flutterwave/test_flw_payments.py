"""Payment contexts and payments on v3, over HTTP against the fake: what the
page gets, and what the API must say before a payment counts."""

from __future__ import annotations

import dataclasses

import pytest
from payproc.errors import CardError, IntegrityMismatch
from payproc.types import ActionKind, ChargeStatus
from payproc_flutterwave.refs import tx_ref_for
from payproc_flutterwave_tests_fakeserver import (
    DECLINED_CARD,
    PAYMENTS,
    SUCCESS_CARD,
    THREE_DS_CARD,
    VERIFY,
    VERIFY_BY_REF,
)
from payproc_flutterwave_tests_helpers import SUBSCRIBER, charge_ref, context, new_key, request


@pytest.mark.parametrize(
    ("amount", "currency", "major", "code"),
    [(1050, "ngn", "10.50", "NGN"), (1500, "jpy", "1500", "JPY"), (1234, "kwd", "1.234", "KWD"),
     (1, "usd", "0.01", "USD"), (10**10, "ngn", "100000000.00", "NGN")],
)
def test_inline_context_is_what_flutterwavecheckout_needs(backend, fake, amount, currency, major, code):
    key = new_key()
    ctx = context(backend, amount, currency, key, return_url="https://shop.example/return")
    values = ctx.values
    assert (values["amount"], values["currency"]) == (major, code) and isinstance(values["amount"], str)
    assert values["public_key"] == backend.settings.PUB_KEY
    assert ctx.reference == values["tx_ref"] == tx_ref_for(key)
    assert values["customer"] == {"email": SUBSCRIBER.email, "name": SUBSCRIBER.name}
    assert values["redirect_url"] == "https://shop.example/return"
    assert values["payment_options"] == "card"
    assert ctx.token_field == "transaction_id" and ctx.next_action is None
    assert "FLWSECK" not in repr(values)
    assert fake.calls == []  # inline: nothing asked of Flutterwave yet


def test_tx_ref_is_stable_per_charge_and_unique_across_charges(backend):
    key = new_key()
    assert context(backend, 1000, "ngn", key).reference == context(backend, 1000, "ngn", key).reference
    assert context(backend, 1000, "ngn", key).reference != context(backend, 1000, "ngn", new_key()).reference
    unkeyed = {context(backend, 1000, "ngn", None).reference for _ in range(2)}
    assert len(unkeyed) == 2 and all(unkeyed)


def test_card_update_context_has_no_reference(backend):
    ctx = context(backend, None, None, None)
    assert ctx.reference is None and "amount" not in ctx.values and ctx.values["public_key"]


def test_hosted_context_is_a_redirect_to_flutterwaves_link(backend_with, fake):
    backend = backend_with(CHECKOUT="hosted")
    key = new_key()
    ctx = context(backend, 250050, "ngn", key, return_url="https://shop.example/return?c=1")
    action = ctx.next_action
    assert action is not None and action.kind is ActionKind.REDIRECT
    assert action.url and action.url.startswith(fake.url + "v3/hosted/pay/")
    sent = fake.hosted(action.url)
    assert (sent["tx_ref"], sent["amount"], sent["currency"]) == (tx_ref_for(key), 2500.5, "NGN")
    assert sent["redirect_url"] == "https://shop.example/return?c=1"
    assert sent["customer"]["email"] == SUBSCRIBER.email and "public_key" not in sent
    assert backend.call("browser_integration").script_urls == ()


def test_hosted_context_without_return_url_is_refused_before_calling(backend_with, fake):
    from payproc.errors import InvalidInput

    backend = backend_with(CHECKOUT="hosted")
    with pytest.raises(InvalidInput, match="return URL"):
        context(backend, 1000, "ngn", new_key())
    assert fake.count(PAYMENTS) == 0


@pytest.mark.parametrize(("amount", "currency"), [(250000, "ngn"), (1500, "jpy"), (1234, "kwd")])
def test_paid_checkout_is_verified_by_the_transaction_id(backend, fake, amount, currency):
    key = new_key()
    ctx = context(backend, amount, currency, key)
    paid = fake.pay(ctx.reference, ctx.values["amount"], currency, card=SUCCESS_CARD)
    result = backend.call("create_payment", request=request(amount, currency, key, str(paid.id)),
                          reference=ctx.reference)
    assert result.status is ChargeStatus.SUCCEEDED
    assert (result.processor_key, result.amount, result.currency) == (str(paid.id), amount, currency)
    assert result.receipt.last4 == "2950" and result.receipt.brand == "MASTERCARD"
    assert result.card_key is None  # not asked to keep the card
    assert fake.count(VERIFY) == 1 and fake.count(VERIFY_BY_REF) == 0


def test_without_a_transaction_id_the_stored_tx_ref_is_verified(backend, fake):
    key = new_key()
    ctx = context(backend, 1000, "ngn", key)
    paid = fake.pay(ctx.reference, "10.00", "ngn")
    result = backend.call("create_payment", request=request(1000, "ngn", key, "not-an-id"), reference=ctx.reference)
    assert result.processor_key == str(paid.id) and fake.count(VERIFY_BY_REF) == 1


def test_save_card_returns_the_card_token_of_the_same_payment(backend, fake):
    key = new_key()
    ctx = context(backend, 1000, "ngn", key)
    paid = fake.pay(ctx.reference, "10.00", "ngn")
    result = backend.call("create_payment", request=request(1000, "ngn", key, str(paid.id), save_card=True),
                          reference=ctx.reference)
    assert result.card_key == paid.token and result.card_key.startswith("flw-t1nf-")
    assert len(fake.transactions) == 1  # one purchase, one charge


def test_declined_payment_is_a_card_error_with_the_transaction(backend, fake):
    key = new_key()
    ctx = context(backend, 5000, "ngn", key)
    paid = fake.pay(ctx.reference, "50.00", "ngn", card=DECLINED_CARD)
    with pytest.raises(CardError) as caught:
        backend.call("create_payment", request=request(5000, "ngn", key, str(paid.id)), reference=ctx.reference)
    assert (caught.value.code, caught.value.charge_processor_key) == ("failed", str(paid.id))
    assert caught.value.message == "Insufficient funds"


def test_no_transaction_for_the_checkout_is_a_card_error(backend, fake):
    key = new_key()
    ctx = context(backend, 1000, "ngn", key)
    with pytest.raises(CardError) as caught:
        backend.call("create_payment", request=request(1000, "ngn", key, None), reference=ctx.reference)
    assert caught.value.code == "NO TX" and caught.value.charge_processor_key is None


@pytest.mark.parametrize(("paid", "currency", "code"), [("9.99", "NGN", "amount_mismatch"),
                                                         ("10.01", "NGN", "amount_mismatch"),
                                                         ("10.00", "GHS", "currency_mismatch")])
def test_tampered_amount_or_currency_is_refused(backend, fake, paid, currency, code):
    """The browser controls what the script charges: a successful
    transaction for another amount or currency must not complete the charge."""
    key = new_key()
    ctx = context(backend, 1000, "ngn", key)
    made = fake.pay(ctx.reference, paid, currency)
    with pytest.raises(CardError) as caught:
        backend.call("create_payment", request=request(1000, "ngn", key, str(made.id)), reference=ctx.reference)
    assert isinstance(caught.value, IntegrityMismatch)
    assert (caught.value.code, caught.value.charge_processor_key) == (code, str(made.id))


def test_another_checkouts_transaction_id_is_refused(backend, fake):
    """A browser posting the id of someone else's payment (same amount)."""
    key = new_key()
    ctx = context(backend, 1000, "ngn", key)
    elsewhere = fake.pay(tx_ref_for(new_key()), "10.00", "ngn")
    with pytest.raises(IntegrityMismatch, match="answered for"):
        backend.call("create_payment", request=request(1000, "ngn", key, str(elsewhere.id)), reference=ctx.reference)


def test_3ds_card_requires_action_then_completes(backend, fake):
    key = new_key()
    ctx = context(backend, 1000, "ngn", key, return_url="https://shop.example/return")
    paid = fake.pay(ctx.reference, "10.00", "ngn", card=THREE_DS_CARD)
    result = backend.call("create_payment", request=request(1000, "ngn", key, str(paid.id)), reference=ctx.reference)
    assert result.status is ChargeStatus.REQUIRES_ACTION
    assert result.next_action.kind is ActionKind.REDIRECT and result.next_action.url == paid.auth_url
    charge = charge_ref(None, 1000, "ngn", key, reference=ctx.reference)
    info = backend.call("retrieve_charge", charge=charge)
    assert info.status is ChargeStatus.REQUIRES_ACTION and info.next_action.url == paid.auth_url

    fake.authenticate(paid.id, passed=True)
    params = {"status": "successful", "tx_ref": ctx.reference, "transaction_id": str(paid.id)}
    done = backend.call("complete_payment", charge=charge, params=params)
    assert (done.status, done.processor_key, done.amount) == (ChargeStatus.SUCCEEDED, str(paid.id), 1000)
    again = backend.call("complete_payment", charge=charge, params=params)  # a reload of the return page
    assert (again.status, again.processor_key) == (done.status, done.processor_key)


def test_failed_challenge_is_a_decline_whatever_the_return_says(backend, fake):
    key = new_key()
    ctx = context(backend, 1000, "ngn", key)
    paid = fake.pay(ctx.reference, "10.00", "ngn", card=THREE_DS_CARD)
    fake.authenticate(paid.id, passed=False)
    charge = charge_ref(None, 1000, "ngn", key, reference=ctx.reference)
    forged = {"status": "successful", "tx_ref": ctx.reference, "transaction_id": str(paid.id)}
    with pytest.raises(CardError, match="Authentication failed"):
        backend.call("complete_payment", charge=charge, params=forged)


def test_return_without_a_payment_is_still_awaiting_the_customer(backend, fake):
    key = new_key()
    ctx = context(backend, 1000, "ngn", key)
    charge = charge_ref(None, 1000, "ngn", key, reference=ctx.reference)
    result = backend.call("complete_payment", charge=charge, params={"status": "cancelled", "tx_ref": ctx.reference})
    assert result.status is ChargeStatus.AWAITING_CUSTOMER and result.processor_key == ctx.reference
    assert backend.call("retrieve_charge", charge=charge).status is ChargeStatus.AWAITING_CUSTOMER
    # the customer comes back later and pays: the same charge succeeds
    paid = fake.pay(ctx.reference, "10.00", "ngn")
    later = backend.call("complete_payment", charge=charge, params={"transaction_id": str(paid.id)})
    assert later.status is ChargeStatus.SUCCEEDED
    # the core may have kept the tx_ref as the handle: the charge is still found by it
    kept = dataclasses.replace(charge, processor_key=ctx.reference)
    assert backend.call("retrieve_charge", charge=kept).processor_key == str(paid.id)


def test_return_naming_another_checkouts_transaction_is_refused(backend, fake):
    key = new_key()
    ctx = context(backend, 1000, "ngn", key)
    elsewhere = fake.pay(tx_ref_for(new_key()), "10.00", "ngn")
    charge = charge_ref(None, 1000, "ngn", key, reference=ctx.reference)
    with pytest.raises(IntegrityMismatch):
        backend.call("complete_payment", charge=charge, params={"transaction_id": str(elsewhere.id)})


def test_retrieve_charge_states(backend, fake):
    key = new_key()
    ctx = context(backend, 4200, "ngn", key)
    stored = charge_ref(None, 4200, "ngn", key, reference=ctx.reference)
    assert backend.call("retrieve_charge", charge=stored).status is ChargeStatus.AWAITING_CUSTOMER
    # never sent (a card-on-file charge whose request was lost): not found
    assert backend.call("retrieve_charge", charge=charge_ref(None, 4200, "ngn", new_key())).status \
        is ChargeStatus.NOT_FOUND
    paid = fake.pay(ctx.reference, "42.00", "ngn")
    info = backend.call("retrieve_charge", charge=stored)
    assert (info.status, info.processor_key, info.amount, info.currency) == \
        (ChargeStatus.SUCCEEDED, str(paid.id), 4200, "ngn")
    paid.status = "cancelled"
    info = backend.call("retrieve_charge", charge=stored)
    assert info.status is ChargeStatus.CANCELED and info.failure_code == "cancelled"


def test_retrieve_charge_uses_the_transaction_id_once_known(backend, fake):
    key = new_key()
    ctx = context(backend, 1000, "ngn", key)
    first = fake.pay(ctx.reference, "10.00", "ngn", card=DECLINED_CARD)
    second = fake.pay(ctx.reference, "10.00", "ngn")  # the customer tried again, same tx_ref
    by_id = dataclasses.replace(charge_ref(None, 1000, "ngn", key, reference=ctx.reference), processor_key=str(first.id))
    assert backend.call("retrieve_charge", charge=by_id).status is ChargeStatus.FAILED
    info = backend.call("retrieve_charge", charge=charge_ref(None, 1000, "ngn", key, reference=ctx.reference))
    assert (info.status, info.processor_key) == (ChargeStatus.SUCCEEDED, str(second.id))


def test_list_payments_lists_payprocs_transactions_of_the_period(backend, fake):
    from datetime import datetime, timedelta, timezone

    from payproc_flutterwave_tests_fakeserver import PAGE_SIZE, TRANSACTIONS

    start = datetime.now(timezone.utc) - timedelta(minutes=1)
    made = [fake.pay(tx_ref_for(new_key()), "10.00", "ngn") for _ in range(PAGE_SIZE + 2)]
    declined = fake.pay(tx_ref_for(new_key()), "10.00", "ngn", card=DECLINED_CARD)
    fake.pay("another-integration-42", "99.00", "ngn")  # not made by payproc
    until = datetime.now(timezone.utc) + timedelta(minutes=1)
    listed = backend.call("list_payments", since=start, until=until)
    assert sorted(info.processor_key for info in listed) == sorted(str(t.id) for t in [*made, declined])
    by_key = {info.processor_key: info for info in listed}
    assert by_key[str(made[0].id)].status is ChargeStatus.SUCCEEDED and by_key[str(made[0].id)].amount == 1000
    assert by_key[str(declined.id)].status is ChargeStatus.FAILED
    assert fake.count(TRANSACTIONS) == 2  # every page read
    assert backend.call("list_payments", since=until, until=until + timedelta(days=1)) == []


@pytest.mark.parametrize(("outcome", "status"), [("success", ChargeStatus.SUCCEEDED), ("fail", None)])
def test_the_harness_stages_a_3ds_challenge(backend, payproc_harness, outcome, status):
    """What the suite's customer-action section does with this backend."""
    key = new_key()
    ctx = context(backend, 2000, "ngn", key)
    token, _ = payproc_harness.pay(ctx, 2000, "ngn", outcome="challenge")
    first = backend.call("create_payment", request=request(2000, "ngn", key, token), reference=ctx.reference)
    assert first.status is ChargeStatus.REQUIRES_ACTION
    params = payproc_harness.challenge(first.processor_key, first.next_action.as_dict(), outcome=outcome)
    charge = charge_ref(first, 2000, "ngn", key, reference=ctx.reference)
    if status is None:
        with pytest.raises(CardError):
            backend.call("complete_payment", charge=charge, params=params)
    else:
        assert backend.call("complete_payment", charge=charge, params=params).status is status
