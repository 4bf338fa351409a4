"""Disputes: each one the processor names (``DisputeInfo.processor_key``) is
one row, so a charge may be disputed more than once (a pre-arbitration after
a won chargeback).

What each step does to the books:

* a **chargeback** (or pre-arbitration) opening takes the disputed amount
  back from the parties — the processor's ``DisputeInfo.amount`` when it
  gives one (partial disputes), else all that is left of the charge — as
  ``Chargeback`` rows, plus the dispute fee (``DisputeInfo.fee``, else the
  ``dispute_fee`` hook) from the provider's funds; the charge is
  ``disputed``;
* an **inquiry** (an early warning, a retrieval request) moves no money: it
  is recorded, the charge stays as it is;
* **won** reverts that dispute's chargeback rows (the fee stays with the
  processor); the charge is ``done`` again unless another dispute is open;
* **lost** keeps the money with the card holder; the charge is ``lost``;
* **closed** / ``prevented`` (closed with no money moving) reverts what was
  booked, like won; an inquiry just closes.

Each transition is idempotent and tolerates order: closing a dispute that
was never seen opening first opens it. Backends of contract 1.0 send no
``DisputeInfo``: their disputes are one per charge, as before.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from .. import ledger
from ..db.models import ChargeRow, ChargeState, DisputeRow, DisputeState, LedgerRow
from ..types import DisputeInfo, DisputeKind, Distribution, EventType, WebhookEvent
from . import _common as common

if TYPE_CHECKING:
    from .context import FlowContext

#: A dispute closed with no money moving (an inquiry answered, a chargeback
#: prevented): what it had taken back is returned.
CLOSED = "closed"
_MONEY_KINDS = (DisputeKind.CHARGEBACK.value, DisputeKind.PRE_ARBITRATION.value)
#: The webhook events :func:`apply_dispute_event` handles.
DISPUTE_EVENTS = frozenset({EventType.DISPUTE_CREATED, EventType.DISPUTE_UPDATED, EventType.DISPUTE_WON,
                            EventType.DISPUTE_LOST, EventType.DISPUTE_CLOSED})


def apply_dispute_event(app: FlowContext, session: Session, charge: ChargeRow, event: WebhookEvent) -> None:
    """Bring the dispute ``event`` names, and ``charge``, to the state the
    event implies."""
    info = event.dispute
    dispute = _find_or_open(app, session, charge, info)
    if dispute is None:
        return
    kind = event.type
    if kind == EventType.DISPUTE_WON:
        _close(app, session, charge, dispute, DisputeState.WON)
    elif kind == EventType.DISPUTE_LOST:
        _close(app, session, charge, dispute, DisputeState.LOST)
    elif kind == EventType.DISPUTE_CLOSED or (info is not None and info.status in ("prevented", "warning_closed")):
        _close(app, session, charge, dispute, CLOSED)


def _find_or_open(app: FlowContext, session: Session, charge: ChargeRow, info: DisputeInfo | None) -> DisputeRow | None:
    key = info.processor_key if info is not None else None
    query = select(DisputeRow).where(DisputeRow.charge_id == charge.id)
    query = query.where(DisputeRow.processor_key == key) if key else query.where(DisputeRow.processor_key.is_(None))
    dispute = session.scalar(query.order_by(DisputeRow.id.desc()).limit(1))
    if dispute is None and key:
        dispute = _adopt_unkeyed(session, charge, key)
    kind = (info.kind if info is not None else DisputeKind.CHARGEBACK).value
    if dispute is not None:
        if dispute.kind == DisputeKind.INQUIRY.value and kind in _MONEY_KINDS and dispute.state == DisputeState.OPEN:
            dispute.kind = kind  # the inquiry became a chargeback: money moves now
            _take_back(app, session, charge, dispute, info)
        return dispute
    if charge.state not in (ChargeState.DONE, ChargeState.DISPUTED):
        common.LOGGER.warning("dispute on charge %s, which is %s: ignored", charge.id, charge.state)
        return None
    dispute = DisputeRow(charge_id=charge.id, processor_key=key, kind=kind, amount=0, fee=0,
                         state=DisputeState.OPEN)
    session.add(dispute)
    session.flush()
    if kind in _MONEY_KINDS:
        _take_back(app, session, charge, dispute, info)
    return dispute


def _adopt_unkeyed(session: Session, charge: ChargeRow, key: str) -> DisputeRow | None:
    """The charge's open dispute recorded without the processor's id — by
    payproc 0.1 (before 0002_contract_1_1) or from a contract 1.0 backend,
    one per charge — is the one the processor now names ``key``: it takes
    the key, so closing it reverts what opening it booked instead of
    opening a second chargeback. A closed one is history: a new key then
    is a new dispute."""
    unkeyed = session.scalar(select(DisputeRow).where(
        DisputeRow.charge_id == charge.id, DisputeRow.processor_key.is_(None), DisputeRow.state == DisputeState.OPEN,
    ).order_by(DisputeRow.id.desc()).limit(1))
    if unkeyed is not None:
        unkeyed.processor_key = key
    return unkeyed


def _charged_back(session: Session, charge: ChargeRow) -> int:
    """What open chargebacks of ``charge`` hold."""
    return int(session.scalar(select(func.coalesce(func.sum(DisputeRow.amount), 0)).where(
        DisputeRow.charge_id == charge.id, DisputeRow.state == DisputeState.OPEN,
        DisputeRow.kind.in_(_MONEY_KINDS))) or 0)


def _take_back(app: FlowContext, session: Session, charge: ChargeRow, dispute: DisputeRow, info: DisputeInfo | None) -> None:
    held = _charged_back(session, charge) - dispute.amount
    gone = charge.amount_refunded + held
    left = charge.amount - gone
    amount = left if info is None or info.amount is None else min(info.amount, left)
    customer, provider, broker, roles = common.charge_parties(app, session, charge)
    ref = common.charge_ref(charge, customer, provider, broker)
    if info is not None and info.fee is not None:
        fee = info.fee
    else:
        fee = app.backend.call_optional("dispute_fee", amount=charge.amount, currency=charge.currency) or 0
    at = common.now()
    event_id = f"dp_{dispute.id}"
    rows = []
    if amount > 0:
        before = common.distribution(app, replace(ref, amount_refunded=gone), gone)
        after = (Distribution(0, charge.currency, 0, charge.currency, 0, charge.currency) if amount == left else
                 common.distribution(app, replace(ref, amount_refunded=gone + amount), gone + amount))
        rows = ledger.give_back_rows(charge, roles, amount, before, after, at, kind=ledger.CHARGEBACK,
                                     event_id=event_id)
    if fee:
        rows.append(ledger.dispute_fee_row(charge, roles, fee, at, event_id=event_id))
    if rows:
        session.execute(insert(LedgerRow), rows)
    dispute.amount, dispute.fee = max(amount, 0), fee
    previous = charge.state
    charge.state = ChargeState.DISPUTED
    session.flush()
    if previous != ChargeState.DISPUTED:
        app.backend.notify("charge_updated", charge=ref, state=ChargeState.DISPUTED.value, previous_state=previous)


def _close(app: FlowContext, session: Session, charge: ChargeRow, dispute: DisputeRow, state: str) -> None:
    if dispute.state != DisputeState.OPEN:
        return
    money = dispute.kind in _MONEY_KINDS
    if money and state in (DisputeState.WON, CLOSED):
        at = common.now()
        booked = session.scalars(select(LedgerRow).where(
            LedgerRow.event_id == f"dp_{dispute.id}", LedgerRow.dest_account == ledger.CHARGEBACK)).all()
        if booked:
            session.execute(insert(LedgerRow), [
                ledger.reversal_row(r, f"{r.descr} - reverted", event_id=f"dp_{dispute.id}_{state}", created_at=at)
                for r in booked])
    dispute.state = state
    session.flush()
    if not money:
        return
    if state == DisputeState.LOST:
        charge.state = ChargeState.LOST
    elif charge.state == ChargeState.DISPUTED and not _open_chargebacks(session, charge):
        charge.state = ChargeState.DONE
    session.flush()


def _open_chargebacks(session: Session, charge: ChargeRow) -> int:
    return int(session.scalar(select(func.count()).select_from(DisputeRow).where(
        DisputeRow.charge_id == charge.id, DisputeRow.state == DisputeState.OPEN,
        DisputeRow.kind.in_(_MONEY_KINDS))) or 0)
