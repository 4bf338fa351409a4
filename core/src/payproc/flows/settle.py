"""Settling everything whose outcome is unknown: charges, refunds and
payouts, by asking the processor — never by guessing.

:func:`settle` is what ``Payproc.settle()`` and ``payproc settle`` run. Each
kind is settled through its own look-up hook: charges through
``retrieve_charge`` (the per-charge logic, customer action included, is
:func:`payproc.flows.outcome.settle_charge`), refunds through
``retrieve_refund`` (:func:`payproc.flows.refunds.settle_refund`), payouts
through ``retrieve_transfer`` (:func:`payproc.flows.transfers.settle_transfer`).
What cannot be settled now stays as it is and is listed in the report with
the reason: a worker holds it (and until when), the processor could not be
reached, the backend cannot look that kind up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from ..db.models import IN_PROGRESS_STATES, ChargeRow, RefundRow, RefundState, TransferRow, TransferState
from ..errors import IntegrityMismatch, NotSupportedError, OutcomeUnknown
from . import _common as common
from . import checkout, outcome, refunds, transfers

if TYPE_CHECKING:
    from .context import FlowContext

__all__ = ["InProgress", "SettleReport", "settle"]

#: A refund the core is still sending is left alone this long (a crashed
#: sender never marks it released).
REFUND_GRACE = checkout.LEASE


@dataclass(frozen=True)
class InProgress:
    """Something ``settle`` left unsettled: ``kind`` is ``charge``,
    ``refund`` or ``transfer``; ``until`` is when it may be settled, when
    that is known (a worker's lease)."""

    kind: str
    id: int
    reason: str
    until: datetime | None = None

    def __str__(self) -> str:
        when = f" (can be settled after {self.until:%Y-%m-%d %H:%M:%S} UTC)" if self.until else ""
        return f"{self.kind} #{self.id}: {self.reason}{when}"


@dataclass
class SettleReport:
    """What :func:`settle` did: the charges, refunds and payouts whose state
    changed, and what it left in progress, each with its reason."""

    charges: list[ChargeRow] = field(default_factory=list)
    refunds: list[RefundRow] = field(default_factory=list)
    transfers: list[TransferRow] = field(default_factory=list)
    in_progress: list[InProgress] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return len(self.charges) + len(self.refunds) + len(self.transfers)

    def lines(self) -> list[str]:
        """One line per change and per item left, then a summary."""
        out = [f"charge #{c.id} -> {c.state}" for c in self.charges]
        out += [f"refund #{r.id} of charge #{r.charge_id} -> {r.state}" for r in self.refunds]
        out += [f"payout #{t.id} -> {t.state}" for t in self.transfers]
        out += [f"in progress: {item}" for item in self.in_progress]
        leased = [item for item in self.in_progress if item.until is not None]
        summary = (f"{len(self.charges)} charge(s), {len(self.refunds)} refund(s), "
                   f"{len(self.transfers)} payout(s) settled; {len(self.in_progress)} still in progress")
        if leased:
            last = max(item.until for item in leased if item.until is not None)
            summary += (f" ({len(leased)} held by a worker; run settle again after "
                        f"{last:%Y-%m-%d %H:%M:%S} UTC)")
        return [*out, summary]

    def __str__(self) -> str:
        return "\n".join(self.lines())


def settle(app: FlowContext, *, customer: str | None = None, older_than: timedelta = timedelta(0)) -> SettleReport:
    """Ask the processor about every charge, refund and payout whose outcome
    is unknown (created more than ``older_than`` ago; only ``customer``'s
    charges and refunds when given) and record what it says."""
    report = SettleReport()
    _charges(app, report, customer, older_than)
    _refunds(app, report, customer, older_than)
    if customer is None:
        _transfers(app, report, older_than)
    return report


def _charges(app: FlowContext, report: SettleReport, customer: str | None, older_than: timedelta) -> None:
    from ..claims import charges_to_settle

    at = common.now()
    with app.db.transaction() as session:  # held by a worker now: reported, left alone
        query = select(ChargeRow).where(ChargeRow.state.in_(IN_PROGRESS_STATES), ChargeRow.lease_until >= at,
                                        ChargeRow.created_at <= at - older_than)
        if customer is not None:
            query = query.where(ChargeRow.customer_id == common.get_profile(session, customer).id)
        held: Sequence[ChargeRow] = session.scalars(query.order_by(ChargeRow.id)).all()
    report.in_progress.extend(
        InProgress("charge", charge.id, "a worker is waiting for the processor's answer", charge.lease_until)
        for charge in held)
    # On PostgreSQL, claimed in leased batches: settle runs at once split them.
    for charge in charges_to_settle(app, customer=customer, older_than=older_than, lease=checkout.LEASE):
        try:
            changed = outcome.settle_charge(app, charge)
        except (OutcomeUnknown, IntegrityMismatch, NotSupportedError) as error:
            # One charge the processor cannot tell about now, or whose answer
            # needs review, must not keep the others unsettled.
            common.LOGGER.warning("charge %s not settled: %s", charge.id, type(error).__name__)
            report.in_progress.append(InProgress("charge", charge.id, _why(error)))
            continue
        after = common.read_charge(app, charge.id)
        if changed:
            report.charges.append(after)
        if after.state in IN_PROGRESS_STATES:
            report.in_progress.append(InProgress("charge", charge.id, _charge_reason(after.state)))


def _charge_reason(state: str) -> str:
    return {
        "awaiting": "the customer has not paid yet and still may",
        "requires_action": "the customer must act (3-D Secure, a redirect)",
    }.get(state, "the processor is still processing it")


def _why(error: Exception) -> str:
    if isinstance(error, IntegrityMismatch):
        return f"needs review: {error}"
    if isinstance(error, NotSupportedError):
        return f"cannot be looked up: {error}"
    return f"the processor could not be asked: {error}"


def _refunds(app: FlowContext, report: SettleReport, customer: str | None, older_than: timedelta) -> None:
    at = common.now()
    with app.db.transaction() as session:
        query = select(RefundRow).where(RefundRow.state == RefundState.PENDING,
                                        RefundRow.created_at <= at - older_than)
        if customer is not None:
            profile = common.get_profile(session, customer)
            query = query.join(ChargeRow, ChargeRow.id == RefundRow.charge_id).where(
                ChargeRow.customer_id == profile.id)
        pending: Sequence[RefundRow] = session.scalars(query.order_by(RefundRow.id)).all()
    for row in pending:
        # A refund whose sender has not released it (no last_checked_at)
        # may still be on its way to the processor: wait for the grace.
        if row.last_checked_at is None and row.created_at > at - REFUND_GRACE:
            report.in_progress.append(InProgress(
                "refund", row.id, "its request may still be on its way", row.created_at + REFUND_GRACE))
            continue
        settled = refunds.settle_refund(app, row)
        if settled.outcome in (refunds.DONE, refunds.FAILED):
            report.refunds.append(refunds.reread(app, row.id))
        else:
            report.in_progress.append(InProgress("refund", row.id, settled.reason))


def _transfers(app: FlowContext, report: SettleReport, older_than: timedelta) -> None:
    at = common.now()
    with app.db.transaction() as session:
        pending: Sequence[TransferRow] = session.scalars(
            select(TransferRow).where(TransferRow.state == TransferState.PENDING,
                                      TransferRow.created_at <= at - older_than)
            .order_by(TransferRow.id)).all()
    for row in pending:
        settled = transfers.settle_transfer(app, row)
        if settled.changed:
            report.transfers.append(settled.row)
        if settled.row.state == TransferState.PENDING:
            report.in_progress.append(InProgress("transfer", row.id, settled.reason, settled.until))
