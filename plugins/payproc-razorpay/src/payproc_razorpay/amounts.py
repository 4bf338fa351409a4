"""Razorpay's rules on amounts, checked before any request is sent.

Razorpay takes amounts in the currency's subunit, like payproc. Two rules
need care:

* INR orders must be at least 100 paise (₹1.00);
* for currencies with three decimals (KWD, BHD, OMR, JOD, TND…) Razorpay
  accepts only amounts whose last digit is 0: 1.230 KWD is ``1230``, and
  ``1234`` is refused.

``receipt`` values are limited to 40 characters; :func:`receipt_for` maps an
idempotency key to a stable receipt of at most that length.
"""

from __future__ import annotations

import hashlib

from payproc.errors import InvalidAmount
from payproc.money import format_money, minor_digits, normalize_currency, validate_amount

__all__ = ["MAX_RECEIPT", "MINIMUM", "check_amount", "receipt_for"]

#: Razorpay's minimum order amount, in subunits, where it is documented.
MINIMUM: dict[str, int] = {"inr": 100}
MAX_RECEIPT = 40


def check_amount(amount: int, currency: str) -> str:
    """Return the normalized currency if Razorpay accepts ``amount`` in it,
    else raise :class:`~payproc.errors.InvalidAmount` saying why."""
    validate_amount(amount)
    currency = normalize_currency(currency)
    minimum = MINIMUM.get(currency, 1)
    if amount < minimum:
        raise InvalidAmount(
            f"Razorpay's minimum amount in {currency.upper()} is {format_money(minimum, currency)} "
            f"({minimum} subunits); got {format_money(amount, currency)}"
        )
    if minor_digits(currency) == 3 and amount % 10:
        raise InvalidAmount(
            f"Razorpay takes {currency.upper()} amounts in multiples of 10 subunits (the third "
            f"decimal must be 0); got {amount} ({format_money(amount, currency)})"
        )
    return currency


def receipt_for(idempotency_key: str) -> str:
    """A stable Razorpay ``receipt`` (≤ 40 characters) for an idempotency key:
    the key itself when it fits, else a digest of it."""
    if len(idempotency_key) <= MAX_RECEIPT and idempotency_key.isprintable():
        return idempotency_key
    return "pp-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
