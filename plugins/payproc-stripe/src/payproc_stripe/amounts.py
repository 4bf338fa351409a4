"""Amounts as Stripe wants them.

payproc amounts are integers in the ISO 4217 minor unit; Stripe's are too,
with a few documented exceptions (https://docs.stripe.com/currencies):

* **ISK**: ISO 4217 says zero decimals, Stripe still takes it as a
  two-decimal currency whose last two digits are ``00`` (5 ISK is ``500``).
  We multiply by 100 going out and divide coming back.
* **Three-decimal currencies** (BHD, JOD, KWD, OMR, TND): Stripe wants the
  last digit to be 0; anything else is refused before the request is made.
* **HUF, TWD**: two decimals for charges, but payouts must be whole units
  (amounts divisible by 100). Checked in :func:`check_payout`.
* **UGX** and the other zero-decimal currencies (JPY, KRW, CLP, VND…) agree
  with ISO 4217: the amount is sent as is.
"""

from __future__ import annotations

from payproc.errors import IntegrityMismatch, InvalidAmount
from payproc.money import minor_digits, normalize_currency, validate_amount

__all__ = ["MINIMUM_CHARGE", "check_payout", "from_stripe", "minimum_charge", "to_stripe"]

#: Currencies whose Stripe exponent differs from ISO 4217's.
STRIPE_EXPONENT = {"isk": 2}
#: Stripe's minimum charge amounts (docs.stripe.com/currencies, "Minimum and
#: maximum charge amounts"), in ISO minor units. Stripe applies the minimum of
#: the account's settlement currency to the converted amount; for a currency
#: not listed here no minimum is known in advance and Stripe's own refusal
#: (``amount_too_small``) remains the check.
MINIMUM_CHARGE = {
    "usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50, "czk": 1500, "dkk": 250,
    "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "inr": 50, "jpy": 50, "mxn": 1000, "myr": 200, "nok": 300,
    "nzd": 50, "pln": 200, "ron": 200, "sek": 300, "sgd": 50, "thb": 1000,
}
#: Currencies whose payouts must be whole units.
WHOLE_UNIT_PAYOUTS = frozenset({"huf", "twd"})


def _factor(currency: str) -> int:
    code = normalize_currency(currency)
    iso = minor_digits(code)
    return 10 ** (STRIPE_EXPONENT.get(code, iso) - iso)


def to_stripe(amount: int, currency: str, *, allow_zero: bool = False) -> int:
    """``amount`` (ISO minor units) in Stripe's unit for ``currency``."""
    validate_amount(amount, allow_zero=allow_zero)
    code = normalize_currency(currency)
    if minor_digits(code) == 3 and amount % 10:
        raise InvalidAmount(
            f"Stripe requires {code.upper()} amounts to end in 0 (got {amount}); round to the nearest ten"
        )
    return amount * _factor(code)


def from_stripe(amount: int, currency: str) -> int:
    """A Stripe amount back in ISO minor units (exact, or IntegrityMismatch)."""
    factor = _factor(currency)
    if amount % factor:
        raise IntegrityMismatch(f"Stripe amount {amount} {currency} is not a whole number of ISO minor units")
    return amount // factor


def minimum_charge(currency: str) -> int:
    """The smallest charge Stripe accepts in ``currency`` (1 when Stripe documents none for it)."""
    return MINIMUM_CHARGE.get(normalize_currency(currency), 1)


def check_payout(amount: int, currency: str) -> None:
    """Refuse payouts Stripe would refuse for their unit (HUF, TWD)."""
    code = normalize_currency(currency)
    if code in WHOLE_UNIT_PAYOUTS and amount % 100:
        raise InvalidAmount(f"Stripe pays out {code.upper()} in whole units only: {amount} is not divisible by 100")
