"""Amounts in messages are written as people read them; the minor units stay
in the exception's fields."""

from __future__ import annotations

import pytest

from payproc.errors import IntegrityMismatch, InvalidInput
from payproc.money import money_text


def test_a_mismatching_answer_is_told_in_major_units(app):
    with pytest.raises(IntegrityMismatch) as error:
        app.checkout("alice", 2000, "usd", "tok_mismatch")
    (charge,) = app.list_charges()
    assert str(error.value) == (f"the processor charged 20.01 USD for charge {charge.id} of 20.00 USD; "
                                "it is not marked done and needs review")
    assert (error.value.expected, error.value.answered) == ((2000, "usd"), (2001, "usd"))


def test_a_reused_idempotency_key_names_the_first_amount(app):
    app.checkout("alice", 1500, "jpy", "tok_visa", idempotency_key="order-1")
    with pytest.raises(InvalidInput, match=r"was used for another charge \(1500 JPY\)"):
        app.checkout("alice", 1600, "jpy", "tok_visa", idempotency_key="order-1")


def test_a_broker_fee_above_the_amount_is_told_in_major_units(app):
    with pytest.raises(InvalidInput) as error:
        app.checkout("alice", 1000, "kwd", "tok_visa", broker_fee_amount=1001)
    assert str(error.value) == "broker_fee_amount 1.001 KWD is more than the amount 1.000 KWD"
    assert app.list_charges() == []


def test_money_text_never_fails_on_figures_it_cannot_format():
    assert money_text(5000, "usd") == "50.00 USD"
    assert money_text(5000, "xyz") == "5000 xyz (minor units)"
    assert money_text(1.5, "usd") == "1.5 usd (minor units)"


def test_the_books_report_names_amounts_in_major_units(app):
    from sqlalchemy import update

    from payproc.db import ChargeRow

    charge = app.checkout("alice", 2000, "usd", "tok_visa")
    with app.db.transaction() as session:  # a row edited by hand, behind the ledger's back
        session.execute(update(ChargeRow).where(ChargeRow.id == charge.id).values(amount_refunded=500))
    problems = app.check_books().problems
    assert f"charge {charge.id}: ledger refunds 0.00 USD != recorded 5.00 USD" in problems
    assert f"charge {charge.id}: refund rows 0.00 USD != recorded 5.00 USD" in problems
