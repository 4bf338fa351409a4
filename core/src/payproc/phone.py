"""Customers' phone numbers, for the processors that need one (Razorpay's
recurring payments carry the customer's ``contact``).

Stored and sent in E.164 form only (``+`` then 8 to 15 digits, no leading
zero in the country code): a number the processor would refuse is refused
here, before anything is stored or sent.
"""

from __future__ import annotations

import re

from .errors import InvalidInput

__all__ = ["normalize_phone"]

_E164 = re.compile(r"\+[1-9][0-9]{7,14}")
_SEPARATORS = re.compile(r"[ .()\-]")


def normalize_phone(value: object) -> str:
    """``value`` in E.164 form; spaces, dots, dashes and parentheses that
    people type between digit groups are dropped."""
    if not isinstance(value, str):
        raise InvalidInput(f"phone must be a string in E.164 form (+<country code><number>), got {type(value).__name__}")
    compact = _SEPARATORS.sub("", value.strip())
    if not _E164.fullmatch(compact):
        raise InvalidInput(
            "phone must be in E.164 form: '+', the country code and the number, 8 to 15 digits "
            "(e.g. +919876543210)"
        )
    return compact
