"""Dispute transitions: opened (chargeback of what is left, plus the
processor's dispute fee), won (chargeback reverted; the charge is done again)
or lost (the money stays with the card holder).

Each transition is idempotent and tolerates order: closing a dispute that
was never seen opening first opens it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from .. import ledger
from ..db.models import ChargeRow, ChargeState, DisputeRow, DisputeState, LedgerRow
from ..types import Distribution
from . import _common as common

if TYPE_CHECKING:
    from ..app import Payproc


def open_dispute(app: Payproc, session: Session, charge: ChargeRow) -> DisputeRow | None:
    """DONE -> DISPUTED, once per charge."""
    dispute = session.scalar(select(DisputeRow).where(DisputeRow.charge_id == charge.id))
    if dispute is not None:
        return dispute
    if charge.state != ChargeState.DONE:
        common.LOGGER.warning("dispute on charge %s, which is %s: ignored", charge.id, charge.state)
        return None
    customer, provider, broker, roles = common.charge_parties(app, session, charge)
    ref = common.charge_ref(charge, customer, provider, broker)
    left = charge.amount - charge.amount_refunded
    before = common.distribution(app, ref, charge.amount_refunded)
    nothing = Distribution(0, charge.currency, 0, charge.currency, 0, charge.currency)
    fee = app.backend.call_optional("dispute_fee", amount=charge.amount, currency=charge.currency) or 0
    at = common.now()
    rows = ledger.give_back_rows(charge, roles, left, before, nothing, at, kind=ledger.CHARGEBACK) if left else []
    if fee:
        rows.append(ledger.dispute_fee_row(charge, roles, fee, at))
    if rows:
        session.execute(insert(LedgerRow), rows)
    dispute = DisputeRow(charge_id=charge.id, amount=left, fee=fee)
    session.add(dispute)
    charge.state = ChargeState.DISPUTED
    session.flush()
    app.backend.notify("charge_updated", charge=ref, state=ChargeState.DISPUTED.value,
                       previous_state=ChargeState.DONE.value)
    return dispute


def close_dispute(app: Payproc, session: Session, charge: ChargeRow, *, won: bool) -> None:
    """DISPUTED -> DONE (won) or LOST."""
    dispute = open_dispute(app, session, charge)
    if dispute is None or dispute.state != DisputeState.OPEN:
        return
    if won:
        reverted = ledger.revert_rows(session, charge, common.now())
        if reverted:
            session.execute(insert(LedgerRow), reverted)
        dispute.state, charge.state = DisputeState.WON, ChargeState.DONE
    else:
        dispute.state, charge.state = DisputeState.LOST, ChargeState.LOST
    session.flush()
