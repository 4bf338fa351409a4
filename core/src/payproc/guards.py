"""Keeping card data out (PCI DSS SAQ A).

payproc only ever handles processor tokens. Anything that looks like a card
number (a Luhn-valid run of 13 to 19 digits, spaces or dashes allowed) or a
field named like a card's security code is refused before it is stored,
logged or sent anywhere, and the error never repeats it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from .errors import CardDataRefused

__all__ = ["looks_like_card_number", "refuse_card_data"]

# A run of digits that stands alone: inside a longer alphanumeric string (a
# hex HMAC such as razorpay_signature, an id) it is not a card number; about
# 1 in 220 random SHA-256 hex digests holds a Luhn-valid run of 13-19 digits.
_DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])(?:\d[ -]?){12,18}\d(?![0-9A-Za-z])")
_CARD_FIELDS = frozenset({"cvc", "cvv", "cvv2", "cvc2", "csc", "card_number", "cardnumber", "pan", "number"})


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def looks_like_card_number(value: str) -> bool:
    """True when ``value`` contains a Luhn-valid run of 13–19 digits."""
    for match in _DIGIT_RUN.finditer(value):
        digits = re.sub(r"[ -]", "", match.group())
        if 13 <= len(digits) <= 19 and _luhn_ok(digits):
            return True
    return False


def refuse_card_data(token: str | None, fields: Mapping[str, object] | None = None, *, what: str = "token") -> None:
    """Raise :class:`CardDataRefused` if ``token`` or any of ``fields`` holds
    card data."""
    if token is not None and looks_like_card_number(token):
        raise CardDataRefused(
            f"the {what} looks like a card number: payproc accepts only processor tokens, "
            "never card numbers (nothing was stored or sent)"
        )
    for name, value in _walk(fields or {}):
        if name.lower().replace("-", "_") in _CARD_FIELDS:
            raise CardDataRefused(
                f"field {name!r} carries card data: card numbers and security codes must go to the "
                "processor's JavaScript, never to the server (nothing was stored or sent)"
            )
        if isinstance(value, str) and looks_like_card_number(value):
            raise CardDataRefused(
                f"field {name!r} looks like a card number: payproc accepts only processor tokens "
                "(nothing was stored or sent)"
            )


def _walk(fields: Mapping[str, object]) -> Iterable[tuple[str, object]]:
    for name, value in fields.items():
        yield str(name), value
        yield from _walk_value(str(name), value)


def _walk_value(name: str, value: object) -> Iterable[tuple[str, object]]:
    """Nested values: mappings by their keys, list items under the list's
    name (``{"cards": [{"cvc": …}]}`` is found too)."""
    if isinstance(value, Mapping):
        yield from _walk(value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield name, item
            yield from _walk_value(name, item)
