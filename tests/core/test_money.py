from decimal import Decimal

import pytest

from payproc.errors import InvalidAmount, UnknownCurrency
from payproc.money import MAX_AMOUNT, Money, format_money, from_major, minor_digits, normalize_currency, to_major, validate_amount


@pytest.mark.parametrize("bad", [10.0, 0.5, float("nan"), True, False, "100", Decimal("1"), None, 0, -1, MAX_AMOUNT + 1])
def test_bad_amounts_are_refused(bad):
    with pytest.raises(InvalidAmount):
        validate_amount(bad)


def test_zero_only_when_allowed():
    assert validate_amount(0, allow_zero=True) == 0


@pytest.mark.parametrize("code,digits", [("usd", 2), ("JPY", 0), ("kwd", 3), ("bhd", 3), ("krw", 0), ("inr", 2)])
def test_minor_digits(code, digits):
    assert minor_digits(code) == digits


@pytest.mark.parametrize("bad", ["xyz", "", "us", 840, None, "xau"])
def test_unknown_currencies(bad):
    with pytest.raises(UnknownCurrency):
        normalize_currency(bad)


def test_exact_conversions():
    assert to_major(1050, "usd") == Decimal("10.50")
    assert to_major(1500, "jpy") == Decimal("1500")
    assert to_major(1234, "kwd") == Decimal("1.234")
    assert from_major("10.50", "usd") == 1050
    assert from_major(Decimal("1.234"), "kwd") == 1234
    with pytest.raises(InvalidAmount):
        from_major("10.5", "jpy")
    with pytest.raises(InvalidAmount):
        from_major("1.2345", "kwd")
    with pytest.raises(InvalidAmount):
        from_major(10.5, "usd")  # type: ignore[arg-type]


def test_format_and_money():
    assert format_money(2000, "usd") == "20.00 USD"
    assert format_money(-500, "usd") == "-5.00 USD"
    assert str(Money(1500, "JPY")) == "1500 JPY"
    with pytest.raises(InvalidAmount):
        Money(1.5, "usd")  # type: ignore[arg-type]


def test_an_upper_case_code_is_accepted_and_stored_lower_case(app):
    # README: '"USD" is accepted and stored as "usd"'.
    assert normalize_currency(" USD ") == "usd"
    charge = app.checkout("alice", 2000, "USD", "tok_visa")
    assert (charge.currency, app.get_charge(charge.id).currency) == ("usd", "usd")
