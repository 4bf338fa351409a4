"""One Flutterwave transaction, as both API versions describe it.

v2 (``txref``, ``flwref``, ``appfee``…) and v3 (``tx_ref``, ``flw_ref``,
``app_fee``…) name the same facts differently; each version's reader
(:mod:`.records` for v3, :mod:`.legacy.verify` for v2) builds this one
shape, so the checks made before anything is booked (:mod:`.outcome`) are
written once. Amounts stay in the currency's major unit, exactly as sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from payproc.errors import ProcessorError

__all__ = ["Transaction", "TransactionNotFound", "as_decimal", "card_expiry", "parse_time"]

#: v2 and v3 words for a transaction that will not be paid.
FAILED_STATUSES = frozenset({"failed", "error", "declined"})
CANCELED_STATUSES = frozenset({"cancelled", "canceled"})


class TransactionNotFound(ProcessorError):
    """Flutterwave has no transaction for that ``tx_ref`` or id."""

    def __init__(self, message: str, code: str = "NO TX") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Transaction:
    """What payproc reads of one Flutterwave transaction."""

    tx_ref: str
    status: str
    flw_ref: str | None = None
    tx_id: str | None = None
    amount: Decimal | None = None
    charged_amount: Decimal | None = None
    currency: str | None = None
    app_fee: Decimal = Decimal(0)
    merchant_fee: Decimal = Decimal(0)
    #: v2's flag; v3 says the same through ``charged_amount - amount``.
    merchant_bears_fee: bool = True
    charge_code: str | None = None
    charge_message: str | None = None
    created: datetime | None = None
    card_last4: str | None = None
    card_exp: date | None = None
    card_brand: str | None = None
    card_name: str | None = None
    #: v3 ``card.token``: what tokenized charges (renewals) are made with.
    card_token: str | None = None
    customer_email: str | None = None
    #: v3 ``auth_url`` of a charge waiting for the customer (3-D Secure).
    auth_url: str | None = None
    payment_type: str | None = None

    @property
    def successful(self) -> bool:
        return self.status == "successful"

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES

    @property
    def canceled(self) -> bool:
        return self.status in CANCELED_STATUSES


def as_decimal(value: Any) -> Decimal | None:
    """A JSON number or string as an exact Decimal (``None`` if it is not one)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):  # never produced by our parsers; be exact anyway
        value = repr(value)
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def parse_time(value: Any) -> datetime | None:
    """Flutterwave's ISO 8601 times (``2020-07-15T14:31:16.000Z``), aware."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def card_expiry(month: Any, year: Any) -> date | None:
    """The first day of a card's expiry month (two- or four-digit year)."""
    try:
        month_number, year_number = int(month), int(year)
    except (TypeError, ValueError):
        return None
    if year_number < 100:
        year_number += 2000
    try:
        return date(year_number, month_number, 1)
    except ValueError:
        return None
