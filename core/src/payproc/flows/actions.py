"""The customer's side of a purchase after the checkout post: where it
stands (:func:`poll`), and finishing a payment the customer had to act on.

A checkout page keeps one idempotency key per purchase. When the answer was
not final (the processor's answer was lost, or it is still processing), the
page polls the purchase by that key instead of paying again; the poll asks
the processor about a charge no worker is holding, so a purchase settles even
when nobody runs ``payproc settle``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from ..db.models import ChargeRow, ChargeState, Profile
from ..errors import IntegrityMismatch, OutcomeUnknown
from . import _common as common

if TYPE_CHECKING:
    from ..app import Payproc

__all__ = ["charge_for_key", "poll"]


def charge_for_key(app: Payproc, idempotency_key: str, *, customer: str | None = None) -> ChargeRow:
    """The charge recorded for ``idempotency_key`` (of ``customer`` when
    given). Raises ``LookupError`` when there is none, and for another
    customer's key (the same answer: a key names nothing it does not own)."""
    with app.db.transaction() as session:
        query = select(ChargeRow).where(ChargeRow.idempotency_key == idempotency_key)
        if customer is not None:
            query = query.join(Profile, Profile.id == ChargeRow.customer_id).where(Profile.slug == customer)
        charge = session.scalar(query)
    if charge is None:
        raise LookupError(f"no purchase {idempotency_key!r}")
    return charge


def poll(app: Payproc, idempotency_key: str, *, customer: str | None = None) -> ChargeRow:
    """Where the purchase ``idempotency_key`` stands. A charge attempted
    whose outcome is unknown (``created``, no worker holding it) is settled
    with the processor first; an answer that is still unknown leaves it as
    it is."""
    from .checkout import settle_charge

    charge = charge_for_key(app, idempotency_key, customer=customer)
    if charge.state == ChargeState.CREATED and (charge.lease_until is None or charge.lease_until < common.now()):
        try:
            settle_charge(app, charge)
        except (OutcomeUnknown, IntegrityMismatch) as error:
            common.LOGGER.info("purchase %s: still unknown (%s)", charge.id, type(error).__name__)
        charge = app.get_charge(charge.id)
    return charge
