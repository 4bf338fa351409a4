"""Bad input across the public API is refused before anything is stored or
sent: malformed amounts and currencies, precision the currency does not
have, refunds of charges that were never paid, and card data anywhere."""

from __future__ import annotations

import logging
import math
from decimal import Decimal

import pytest
from relsupport import CARDS, account_of, database_bytes
from sqlalchemy import func, select
from starlette.testclient import TestClient

from payproc.app import Payproc
from payproc.db import ChargeRow, LedgerRow, RefundRow
from payproc.errors import (
    CardDataRefused,
    CardError,
    InvalidAmount,
    InvalidInput,
    InvalidStateTransition,
    RefundExceedsRemaining,
    UnknownCurrency,
)
from payproc.settings import load_settings
from payproc.web import create_app

BAD_AMOUNTS = [20.0, 2000.5, True, False, math.nan, math.inf, 0, -1, -2000, 10**12, 2**63, "2000", Decimal("20")]
#: A hex HMAC (64 characters) that happens to hold a Luhn-valid run of 16
#: digits, as about 1 in 220 genuine signatures do: it is not card data.
SIGNATURE_WITH_DIGITS = "ab" + "4242424242424242" + "cd" * 23
BAD_CURRENCIES = ["xyz", "", "  ", "US", "dollars", None, 840, "usdd", "xau"]


def _nothing_stored(app: Payproc) -> None:
    with app.db.transaction() as session:
        for model in (ChargeRow, RefundRow, LedgerRow):
            assert session.scalar(select(func.count()).select_from(model)) == 0, model.__name__
    assert account_of(app).list_charges() == []


@pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=repr)
def test_bad_amounts_are_refused_everywhere(rel_app, amount):
    for call in (
        lambda: rel_app.checkout("alice", amount, "usd", "tok_visa"),
        lambda: rel_app.payment_context("alice", amount, "usd"),
        lambda: rel_app.checkout("alice", 2000, "usd", "tok_visa", broker_fee_amount=amount)
        if amount not in (0, False) else (_ for _ in ()).throw(InvalidAmount("zero fee is fine")),
    ):
        with pytest.raises(InvalidAmount):
            call()
    _nothing_stored(rel_app)


@pytest.mark.parametrize("currency", BAD_CURRENCIES, ids=repr)
def test_unknown_currencies_are_refused(rel_app, currency):
    with pytest.raises(UnknownCurrency):
        rel_app.checkout("alice", 2000, currency, "tok_visa")
    with pytest.raises(UnknownCurrency):
        rel_app.payment_context("alice", 2000, currency)
    _nothing_stored(rel_app)


@pytest.mark.parametrize("amount", [20.0, True, math.nan, 0, -5, 10**12, "5"], ids=repr)
def test_bad_refund_amounts_are_refused(rel_app, amount):
    charge = rel_app.checkout("alice", 2000, "usd", "tok_visa")
    with pytest.raises(InvalidAmount):
        rel_app.refund(charge.id, amount)
    with pytest.raises(RefundExceedsRemaining):
        rel_app.refund(charge.id, 2001)
    assert account_of(rel_app).retrieve_charge(charge.processor_key).amount_refunded == 0
    assert rel_app.get_charge(charge.id).amount_refunded == 0
    assert rel_app.check_books().balanced


def test_refund_of_a_failed_a_created_or_an_unknown_charge_is_refused(rel_app):
    account = account_of(rel_app)
    with pytest.raises(CardError):
        rel_app.checkout("alice", 2000, "usd", "tok_decline")
    failed = rel_app.list_charges(state="failed")[0]
    created = rel_app.payment_context("alice", 2000, "usd")
    created_charge = rel_app.list_charges(state="awaiting")[0]  # context issued, not attempted
    assert created_charge.idempotency_key == created.idempotency_key
    for charge_id in (failed.id, created_charge.id):
        with pytest.raises(InvalidStateTransition):
            rel_app.refund(charge_id)
        with pytest.raises(InvalidStateTransition):
            rel_app.refund(charge_id, 100)
    with pytest.raises((LookupError, InvalidInput)):
        rel_app.refund(10_000)
    assert "refund" not in account.requests
    with rel_app.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(RefundRow)) == 0
    assert rel_app.check_books().balanced


def test_precision_beyond_the_currency_is_refused_at_the_web_layer(rel_app):
    client = TestClient(create_app(rel_app, page=False))
    for major, currency in (("10.5", "jpy"), ("1.2345", "kwd"), ("20.001", "usd"), ("1e400", "usd"),
                            ("NaN", "usd"), ("-5.00", "usd"), ("0", "usd")):
        answer = client.post("/api/checkout", json={
            "customer": "alice", "amount_major": major, "currency": currency, "stripeToken": "tok_visa"})
        assert answer.status_code == 400, (major, currency, answer.text)
        assert answer.json()["error"] in ("invalid_amount", "invalid_input")
    for amount in (20.0, True, -1, 0, "20.00", [2000], {"v": 1}):
        answer = client.post("/api/checkout", json={
            "customer": "alice", "amount": amount, "currency": "usd", "stripeToken": "tok_visa"})
        assert answer.status_code == 400, (amount, answer.text)
    answer = client.post("/api/checkout", json={
        "customer": "alice", "amount": 2000, "currency": "xyz", "stripeToken": "tok_visa"})
    assert (answer.status_code, answer.json()["error"]) == (400, "unknown_currency")
    _nothing_stored(rel_app)


def test_jpy_and_kwd_minor_units(rel_app):
    """JPY has no minor unit, KWD three: amounts are their minor units."""
    from payproc.money import from_major

    with pytest.raises(InvalidAmount):
        from_major("10.5", "jpy")
    with pytest.raises(InvalidAmount):
        from_major("1.2345", "kwd")
    assert rel_app.checkout("alice", 1050, "jpy", "tok_visa").amount == 1050
    assert rel_app.checkout("alice", 1235, "kwd", "tok_visa").amount == 1235  # the fake takes any 3rd digit


@pytest.fixture
def razorpay_app(tmp_path):
    pytest.importorskip("payproc_razorpay")
    app = Payproc(load_settings(DATABASE_URL=f"sqlite:///{tmp_path}/rzp.sqlite3", PROCESSOR={
        "BACKEND": "razorpay", "PUB_KEY": "rzp_test_rel", "PRIV_KEY": "rzp_rel_secret_key",
        "WEBHOOK_SECRET": "rzp_rel_webhook_secret", "API_BASE": "http://127.0.0.1:9", "TIMEOUT": 2}))
    app.init_db()
    app.add_profile("alice")
    yield app
    app.db.dispose()


@pytest.mark.parametrize("call", ["payment_context", "checkout"])
def test_razorpay_kwd_amount_not_ending_in_0_is_refused_before_anything_is_sent(razorpay_app, call):
    """Razorpay takes three-decimal currencies only in multiples of 10. The
    refusal comes before any request (the API base is a closed port) and
    leaves no charge in progress for settle() to ask about."""
    with pytest.raises(InvalidAmount, match="multiples of 10"):
        if call == "payment_context":
            razorpay_app.payment_context("alice", 1235, "kwd")
        else:
            razorpay_app.checkout("alice", 1235, "kwd", "pay_rel", browser_fields={
                "razorpay_order_id": "order_rel", "razorpay_signature": SIGNATURE_WITH_DIGITS})
    assert razorpay_app.list_charges(state="created") == []
    assert [(c.state, c.failure_code) for c in razorpay_app.list_charges()] == [("failed", "invalid_input")]
    assert razorpay_app.settle().charges == []


# --- card data --------------------------------------------------------------------


def _checkout_with_card_data(app: Payproc, card: str) -> list[dict]:
    """Every place of the public API a card number could be slipped into."""
    return [
        {"token": card},
        {"token": "tok_visa", "browser_fields": {"card_number": "tok"}},
        {"token": "tok_visa", "browser_fields": {"cvc": "123"}},
        {"token": "tok_visa", "browser_fields": {"CVV": "123"}},
        {"token": "tok_visa", "browser_fields": {"note": f"my card is {card}"}},
        {"token": "tok_visa", "browser_fields": {"card": {"exp": "12/30", "cvv2": "999"}}},
        {"token": "tok_visa", "browser_fields": {"cards": [{"pan": card}]}},
        {"token": "tok_visa", "idempotency_key": card},
        {"token": "tok_visa", "descr": f"order for {card}"},
        {"token": "tok_visa", "stmt_descr": card},
    ]


@pytest.mark.parametrize("card", CARDS)
def test_card_data_anywhere_in_a_checkout_is_refused_and_never_stored(rel_app, card, caplog):
    caplog.set_level(logging.DEBUG)
    account = account_of(rel_app)
    digits = card.replace(" ", "").replace("-", "")
    for options in _checkout_with_card_data(rel_app, card):
        token = options.pop("token")
        with pytest.raises(CardDataRefused) as caught:
            rel_app.checkout("alice", 2000, "usd", token, **options)
        assert card not in str(caught.value) and digits not in str(caught.value)
    for call in (lambda: rel_app.checkout(card, 2000, "usd", "tok_visa"),
                 lambda: rel_app.payment_context("alice", 2000, "usd", idempotency_key=card),
                 lambda: rel_app.update_card("alice", card)):
        with pytest.raises(CardDataRefused):
            call()
    charge = rel_app.checkout("alice", 2000, "usd", "tok_visa")
    with pytest.raises(CardDataRefused):
        rel_app.refund(charge.id, 100, idempotency_key=card)
    assert account.requests == ["create_charge"]  # only the good checkout reached the processor
    assert len(rel_app.list_charges()) == 1
    rel_app.db.dispose()
    stored = database_bytes(rel_app.settings.DATABASE_URL)
    assert stored, "the database file was not found"
    assert card.encode() not in stored and digits.encode() not in stored
    assert card not in caplog.text and digits not in caplog.text


def test_card_data_anywhere_in_a_web_request_is_refused(rel_app, caplog):
    caplog.set_level(logging.DEBUG)
    client = TestClient(create_app(rel_app, customer_of=lambda request, fields: "alice"))
    card = CARDS[0]
    good = {"customer": "alice", "amount": 2000, "currency": "usd", "stripeToken": "tok_visa"}
    bodies = [
        {**good, "stripeToken": card},
        {**good, "cvc": "123"},
        {**good, "card": {"number": card, "cvc": "123"}},
        {**good, "card": {"cvv": "123"}},
        {**good, "items": [{"note": card}]},
        {**good, "idempotency_key": card},
        {**good, "descr": card},
        {**good, "customer": card},
    ]
    for body in bodies:
        answer = client.post("/api/checkout", json=body)
        assert (answer.status_code, answer.json()["error"]) == (400, "card_data_refused"), body
        assert card not in answer.text
    form = client.post("/api/checkout", data={**good, "amount": "2000", "card_number": card})
    assert (form.status_code, form.json()["error"]) == (400, "card_data_refused")
    for path in ("/api/context", "/api/card"):
        answer = client.post(path, json={**good, "cvv": "123"})
        assert (answer.status_code, answer.json()["error"]) == (400, "card_data_refused"), path
    assert account_of(rel_app).requests == []
    _nothing_stored(rel_app)
    rel_app.db.dispose()
    assert card.encode() not in database_bytes(rel_app.settings.DATABASE_URL)
    assert card not in caplog.text


def test_idempotency_key_reused_for_another_amount_is_refused(rel_app):
    rel_app.checkout("alice", 2000, "usd", "tok_visa", idempotency_key="order-7")
    with pytest.raises(InvalidInput, match="another charge"):
        rel_app.checkout("alice", 2500, "usd", "tok_visa", idempotency_key="order-7")
    assert len(account_of(rel_app).list_charges("order-7")) == 1


def test_digit_runs_inside_hex_signatures_are_not_card_data(rel_app):
    charge = rel_app.checkout("alice", 2000, "usd", "tok_visa", browser_fields={
        "signature": SIGNATURE_WITH_DIGITS, "order_id": "order_0123456789012345678"})
    assert charge.state == "done"


def test_refund_of_a_fully_refunded_charge_says_nothing_is_left(rel_app):
    charge = rel_app.checkout("alice", 2000, "usd", "tok_visa")
    rel_app.refund(charge.id)
    with pytest.raises(RefundExceedsRemaining, match="nothing is left"):
        rel_app.refund(charge.id)
    assert account_of(rel_app).requests.count("refund") == 1
