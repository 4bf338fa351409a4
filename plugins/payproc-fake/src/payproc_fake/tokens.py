"""The fake processor's test tokens and what each one makes it do.

Like Stripe's test mode, the token alone decides the outcome. The table is
public behaviour: it is documented in the package docstring and the README.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date

__all__ = [
    "TEST_BRAND",
    "TEST_LAST4",
    "TEST_NAME",
    "Behaviour",
    "TokenInfo",
    "card_expiry",
    "looks_like_card_number",
    "read_token",
]


class Behaviour(str, enum.Enum):
    """What the processor does with a token."""

    SUCCEED = "succeed"
    DECLINE = "decline"  # CardError, failed charge recorded
    PROCESSOR_ERROR = "processor_error"  # 400: refused, nothing done
    SETUP_ERROR = "setup_error"  # 401: bad key
    REVOKED = "revoked"  # 401: revoked key
    TIMEOUT = "timeout"  # done, answer lost
    UNREACHABLE = "unreachable"  # nothing done, no answer
    MISMATCH = "mismatch"  # charges and answers amount + 1
    CHARGE_DECLINED = "charge_declined"  # attaches; charges on it decline
    UNKNOWN = "unknown"  # not a token this processor issued
    CHALLENGE = "challenge"  # requires_action: a 3-D Secure-like challenge (see actions.py)
    CHALLENGE_REDIRECT = "challenge_redirect"  # the same, answered on a page the customer is sent to
    AUTH_REQUIRED = "auth_required"  # stores fine; a charge on it without the customer needs a challenge


@dataclass(frozen=True)
class TokenInfo:
    behaviour: Behaviour
    code: str | None = None
    message: str | None = None


_DECLINES = {
    "tok_decline": ("card_declined", "Your card was declined."),
    "tok_expired": ("expired_card", "Your card has expired."),
    "tok_insufficient_funds": ("insufficient_funds", "Your card has insufficient funds."),
}

_SPECIAL = {
    "tok_processor_error": Behaviour.PROCESSOR_ERROR,
    "tok_setup_error": Behaviour.SETUP_ERROR,
    "tok_revoked": Behaviour.REVOKED,
    "tok_timeout": Behaviour.TIMEOUT,
    "tok_unreachable": Behaviour.UNREACHABLE,
    "tok_mismatch": Behaviour.MISMATCH,
    "tok_visa_chargeDeclined": Behaviour.CHARGE_DECLINED,
    "tok_3ds": Behaviour.CHALLENGE,
    "tok_3ds_redirect": Behaviour.CHALLENGE_REDIRECT,
    "tok_visa_authRequired": Behaviour.AUTH_REQUIRED,
}

_CARD_NUMBER = re.compile(r"[0-9][0-9 \-]{11,}[0-9]")


def looks_like_card_number(value: str) -> bool:
    """True for 13 to 19 digits, with or without spaces or dashes: a raw card
    number that must never have reached us."""
    if not _CARD_NUMBER.fullmatch(value.strip()):
        return False
    digits = sum(char.isdigit() for char in value)
    return 13 <= digits <= 19


def read_token(token: str) -> TokenInfo:
    """The behaviour a token asks for."""
    if token in _DECLINES:
        code, message = _DECLINES[token]
        return TokenInfo(Behaviour.DECLINE, code, message)
    if token in _SPECIAL:
        return TokenInfo(_SPECIAL[token])
    if token.startswith("tok_"):
        return TokenInfo(Behaviour.SUCCEED)
    return TokenInfo(Behaviour.UNKNOWN)


#: The card every good token stands for: a Visa ending in 4242 in the name of
#: Joe Test, that expires the first of this month next year.
TEST_LAST4 = "4242"
TEST_BRAND = "visa"
TEST_NAME = "Joe Test"


def card_expiry(today: date) -> date:
    """The test card's expiry date: the 1st of this month, one year ahead."""
    return date(today.year + 1, today.month, 1)
