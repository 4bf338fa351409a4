"""Flutterwave amounts: major units, upper-case currency codes.

Flutterwave Inline and the v2 API take and report amounts in the currency's
major unit (``10.50`` NGN, ``1500`` JPY, ``1.234`` KWD). Conversions go
through :mod:`payproc.money`, exactly.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from payproc.errors import InvalidAmount
from payproc.money import from_major, minor_digits, to_major

__all__ = ["fee_to_minor", "to_flutterwave", "to_minor"]


def to_flutterwave(amount: int, currency: str) -> tuple[str, str]:
    """``(amount in major units as a string, currency upper-case)``."""
    return str(to_major(amount, currency)), currency.upper()


def to_minor(value: Decimal | None, currency: str) -> int | None:
    """Exact minor units of a reported major amount, or ``None`` when it is
    missing or more precise than the currency allows (never rounded: a
    reported amount that does not fit is a mismatch, not a rounding)."""
    if value is None:
        return None
    try:
        return from_major(value, currency)
    except InvalidAmount:
        return None


def fee_to_minor(value: Decimal, currency: str) -> int:
    """A fee in minor units. Flutterwave computes fees as percentages and
    may report more decimals than the currency has; those are rounded half
    up to the minor unit (as the seed's fee arithmetic does)."""
    quantum = Decimal(1).scaleb(-minor_digits(currency))
    return from_major(value.quantize(quantum, rounding=ROUND_HALF_UP), currency)
