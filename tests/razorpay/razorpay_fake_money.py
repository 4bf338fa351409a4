"""Currencies, fee and tax of the fake Razorpay.

Fee model (documented so tests can predict it): Razorpay's platform fee is
2% of the payment's value in INR, rounded half up to the paisa, and GST of
18% is charged on that fee. The payment's ``fee`` is fee + GST (Razorpay's
``fee`` includes GST) and ``tax`` is the GST part: ₹500.00 → fee 1180 paise,
tax 180. Route transfers cost 0.25% + 18% GST. Non-INR payments are valued in
INR at the fixed rates below (Razorpay settles in INR).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

#: Supported currencies: subunit digits and a fixed INR rate per major unit.
CURRENCIES: dict[str, tuple[int, Decimal]] = {
    "INR": (2, Decimal(1)),
    "USD": (2, Decimal(83)),
    "EUR": (2, Decimal(90)),
    "GBP": (2, Decimal(105)),
    "SGD": (2, Decimal(62)),
    "AED": (2, Decimal("22.6")),
    "AUD": (2, Decimal(55)),
    "CAD": (2, Decimal(61)),
    "JPY": (0, Decimal("0.56")),
    "KWD": (3, Decimal(270)),
    "BHD": (3, Decimal(220)),
    "OMR": (3, Decimal(216)),
    "JOD": (3, Decimal(117)),
}


def min_amount(currency: str) -> int:
    """Razorpay's order minimum: one unit of the currency ("The amount must
    be at least INR 1.00"), in subunits."""
    return int(10 ** CURRENCIES[currency][0])


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def inr_value(amount: int, currency: str) -> int:
    """``amount`` subunits of ``currency`` in paise."""
    digits, rate = CURRENCIES[currency]
    return _round(Decimal(amount) * rate * 100 / (Decimal(10) ** digits))


def payment_fee(amount: int, currency: str) -> tuple[int, int]:
    """(fee including GST, GST) in paise."""
    base = _round(Decimal(inr_value(amount, currency)) * Decimal("0.02"))
    tax = _round(Decimal(base) * Decimal("0.18"))
    return base + tax, tax


def transfer_fee(amount: int) -> tuple[int, int]:
    base = _round(Decimal(amount) * Decimal("0.0025"))
    tax = _round(Decimal(base) * Decimal("0.18"))
    return base + tax, tax
