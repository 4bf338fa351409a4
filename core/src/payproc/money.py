"""Money as payproc handles it: an integer in the currency's minor unit plus a
lower-case ISO 4217 code.

Floats never enter: ``0.1 + 0.2`` is not money. Conversions to and from the
major unit (which some processors' browser libraries want) go through
:class:`~decimal.Decimal` and are exact, or they fail.

The table of minor units comes from the ``iso4217`` package (the ISO
maintenance agency's list), loaded on first use so ``import payproc`` stays
light.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .errors import InvalidAmount, UnknownCurrency

__all__ = [
    "MAX_AMOUNT",
    "Money",
    "format_money",
    "money_text",
    "from_major",
    "minor_digits",
    "normalize_currency",
    "to_major",
    "validate_amount",
]

#: The largest amount, in minor units, that payproc accepts in one operation.
#: It is far above what any processor charges at once (Stripe's ceiling is
#: 99,999,999 minor units); anything beyond is a bug in the caller.
MAX_AMOUNT = 10**11


@functools.cache
def _exponents() -> dict[str, int]:
    from iso4217 import Currency

    return {
        currency.code.lower(): currency.exponent
        for currency in Currency
        if currency.exponent is not None
    }


def normalize_currency(currency: object) -> str:
    """Return ``currency`` as a lower-case ISO 4217 code, or raise
    :class:`UnknownCurrency`.

    Codes without a minor unit in ISO 4217 (gold, SDR, testing codes…) are
    refused: nobody takes card payments in them.
    """
    if not isinstance(currency, str):
        raise UnknownCurrency(f"currency must be an ISO 4217 code string, got {type(currency).__name__}")
    code = currency.strip().lower()
    if code not in _exponents():
        raise UnknownCurrency(f"unknown currency {currency!r}: expected an ISO 4217 code such as 'usd', 'jpy' or 'kwd'")
    return code


def minor_digits(currency: str) -> int:
    """Number of decimal digits of ``currency``'s minor unit: 2 for USD, 0 for
    JPY, 3 for KWD."""
    return _exponents()[normalize_currency(currency)]


def validate_amount(amount: object, *, allow_zero: bool = False, what: str = "amount") -> int:
    """Return ``amount`` if it is a plausible integer amount in minor units.

    Refuses floats (even ``10.0``), booleans, NaN, strings, decimals, zero
    (unless ``allow_zero``), negatives and anything above :data:`MAX_AMOUNT`.
    """
    if isinstance(amount, bool) or not isinstance(amount, int):
        if isinstance(amount, float) and math.isnan(amount):
            raise InvalidAmount(f"{what} is NaN: amounts are integers in the currency's minor unit")
        raise InvalidAmount(
            f"{what} must be an integer number of minor units (cents, paise…), "
            f"got {type(amount).__name__} {amount!r}"
        )
    if amount < 0 or (amount == 0 and not allow_zero):
        raise InvalidAmount(f"{what} must be {'zero or ' if allow_zero else ''}positive, got {amount}")
    if amount > MAX_AMOUNT:
        raise InvalidAmount(f"{what} {amount} is above the maximum of {MAX_AMOUNT} minor units")
    return amount


def to_major(amount: int, currency: str) -> Decimal:
    """Exact value of ``amount`` minor units in the major unit:
    ``to_major(1050, 'usd') == Decimal('10.50')``."""
    digits = minor_digits(currency)
    return Decimal(validate_amount(amount, allow_zero=True)).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))


def from_major(value: Decimal | str | int, currency: str) -> int:
    """Exact number of minor units in ``value`` major units.

    Raises :class:`InvalidAmount` when ``value`` has more precision than the
    currency allows (``'10.5'`` JPY, ``'1.2345'`` KWD) or is not a number.
    Floats are refused: pass a string or a Decimal.
    """
    if isinstance(value, (float, bool)):
        raise InvalidAmount(f"major-unit amounts must be Decimal or str, not {type(value).__name__}")
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidAmount(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise InvalidAmount(f"{value!r} is not a finite number")
    digits = minor_digits(currency)
    minor = number.scaleb(digits)
    if minor != minor.to_integral_value():
        raise InvalidAmount(
            f"{value} has more decimals than {currency.upper()} allows ({digits})"
        )
    return int(minor)


def format_money(amount: int, currency: str) -> str:
    """Human-readable amount, e.g. ``'20.00 USD'``, ``'-5.00 USD'``, ``'1500 JPY'``
    (balances may be negative)."""
    sign = "-" if isinstance(amount, int) and not isinstance(amount, bool) and amount < 0 else ""
    return f"{sign}{to_major(abs(amount) if sign else amount, currency)} {currency.upper()}"


def money_text(amount: object, currency: object) -> str:
    """:func:`format_money` for messages about figures that may be wrong (a
    processor's answer, a caller's bad input): the raw figures when they are
    not a valid amount and currency, never an exception."""
    try:
        return format_money(amount, currency)  # type: ignore[arg-type]
    except (InvalidAmount, UnknownCurrency, TypeError, AttributeError):
        return f"{amount} {currency} (minor units)"


@dataclass(frozen=True, slots=True)
class Money:
    """A validated amount: ``Money(2000, 'usd')`` is twenty dollars."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        validate_amount(self.amount, allow_zero=True)
        object.__setattr__(self, "currency", normalize_currency(self.currency))

    def __str__(self) -> str:
        return format_money(self.amount, self.currency)
