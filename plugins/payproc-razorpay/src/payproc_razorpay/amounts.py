"""Razorpay's rules on amounts, checked before any request is sent.

Razorpay takes amounts in the currency's subunit, like payproc. Two rules
need care:

* an order must be at least one unit of its currency: Razorpay's Orders API
  answers "The amount must be at least INR 1.00" (USD 1.00, MYR 1.00… in
  its documented examples), i.e. 100 paise; :func:`minimum_amount` applies
  the same rule to every currency (``10 ** digits`` subunits);
* for currencies with three decimals (KWD, BHD, OMR, JOD, TND…) Razorpay
  accepts only amounts whose last digit is 0: 1.230 KWD is ``1230``, and
  ``1234`` is refused.

``receipt`` values are limited to 40 characters; :func:`receipt_for` maps an
idempotency key to a stable receipt of at most that length.
"""

from __future__ import annotations

import hashlib
from typing import Any

from payproc.errors import IntegrityMismatch, InvalidAmount, PayprocError
from payproc.money import format_money, minor_digits, normalize_currency, validate_amount

__all__ = ["MAX_RECEIPT", "check_amount", "minimum_amount", "mismatch", "receipt_for", "shown"]

MAX_RECEIPT = 40


def minimum_amount(currency: str) -> int:
    """Razorpay's smallest order in ``currency``, in subunits: one unit of
    the currency (₹1.00 is 100 paise)."""
    return int(10 ** minor_digits(normalize_currency(currency)))


def check_amount(amount: int, currency: str) -> str:
    """Return the normalized currency if Razorpay accepts ``amount`` in it,
    else raise :class:`~payproc.errors.InvalidAmount` saying why."""
    validate_amount(amount)
    currency = normalize_currency(currency)
    minimum = minimum_amount(currency)
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


def shown(amount: Any, currency: Any) -> str:
    """``50.00 INR`` for people; Razorpay's raw figures when they are not a
    valid amount and currency (an answer that is wrong is shown as it is)."""
    try:
        return format_money(int(amount), normalize_currency(str(currency)))
    except (PayprocError, TypeError, ValueError):
        return f"{amount} {currency}"


def mismatch(what: str, entity: Any, amount: int, currency: str) -> IntegrityMismatch:
    """Razorpay's ``what`` (an entity with ``amount``/``currency``) is not
    for ``amount`` ``currency``: the error, with both pairs in its fields."""
    got_amount, got_currency = entity.get("amount"), str(entity.get("currency") or "").lower()
    answered = (got_amount, got_currency) if isinstance(got_amount, int) else None
    return IntegrityMismatch(
        f"{what} is for {shown(got_amount, got_currency)}, not {shown(amount, currency)}",
        expected=(amount, currency.lower()), answered=answered,
    )
