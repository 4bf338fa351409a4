"""A customer's renewal: what is charged, in which currency, and when next.

Batch renewals (:mod:`payproc.renewals`) charge every customer whose renewal
is due on the card on file; this module is how an application (or
``payproc renewals set/show/cancel``) sets one up, reads it and stops it,
without writing the profile's columns by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import update

from .db.models import Profile
from .flows._common import get_profile
from .money import format_money, normalize_currency, validate_amount

if TYPE_CHECKING:
    from .app import Payproc

__all__ = ["Renewal", "cancel_renewal", "get_renewal", "set_renewal"]


@dataclass(frozen=True)
class Renewal:
    """``customer`` is charged ``amount`` (minor units) ``currency`` on
    ``due``, then on the same day of each following month. ``attempts``
    counts the declined attempts of the current due date; ``has_card`` says
    whether a card is on file (without one the batch skips the customer)."""

    customer: str
    amount: int
    currency: str
    due: date
    attempts: int
    has_card: bool

    def __str__(self) -> str:
        card = "" if self.has_card else "; no card on file: the batch skips it"
        tries = f", {self.attempts} declined attempt(s)" if self.attempts else ""
        return f"{self.customer}: {format_money(self.amount, self.currency)} due {self.due.isoformat()}{tries}{card}"


def set_renewal(app: Payproc, customer: str, amount: int, currency: str, due: date) -> Renewal:
    """Charge ``customer`` ``amount`` ``currency`` on ``due`` and monthly
    after. Replaces any renewal the customer had (its declined attempts are
    forgotten). Bad input changes nothing."""
    amount = validate_amount(amount)
    currency = normalize_currency(currency)
    if not isinstance(due, date):
        raise TypeError(f"due must be a datetime.date, got {type(due).__name__}")
    with app.db.transaction() as session:
        profile = get_profile(session, customer)
        session.execute(update(Profile).where(Profile.id == profile.id).values(
            renewal_amount=amount, renewal_currency=currency, renewal_due=due, nb_renewal_attempts=0))
        return Renewal(customer, amount, currency, due, 0, bool(profile.processor_card_key))


def get_renewal(app: Payproc, customer: str) -> Renewal | None:
    """The renewal of ``customer``, or ``None`` when none is set."""
    with app.db.reading() as session:
        profile = get_profile(session, customer)
        if not profile.renewal_amount or not profile.renewal_currency or profile.renewal_due is None:
            return None
        return Renewal(customer, profile.renewal_amount, profile.renewal_currency, profile.renewal_due,
                       profile.nb_renewal_attempts or 0, bool(profile.processor_card_key))


def cancel_renewal(app: Payproc, customer: str) -> Renewal | None:
    """Stop renewing ``customer``; returns the renewal that was set, if any.
    The card on file stays (delete it with ``Payproc.delete_card``)."""
    with app.db.transaction() as session:
        profile = get_profile(session, customer)
        previous = None
        if profile.renewal_amount and profile.renewal_currency and profile.renewal_due is not None:
            previous = Renewal(customer, profile.renewal_amount, profile.renewal_currency, profile.renewal_due,
                               profile.nb_renewal_attempts or 0, bool(profile.processor_card_key))
        session.execute(update(Profile).where(Profile.id == profile.id).values(
            renewal_amount=None, renewal_currency=None, renewal_due=None, nb_renewal_attempts=0))
        return previous
