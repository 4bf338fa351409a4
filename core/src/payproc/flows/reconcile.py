"""Reconciliation: the core's charges and refunds of a period, compared with
the processor's, every difference reported.

Each charge created in ``[since, until)`` is looked up (``retrieve_charge``)
and compared: whether money was taken, the amount and currency, what was
refunded. When the backend has ``list_payments``, the processor's payments of
the period that payproc does not know (by processor key or idempotency key)
are reported too. Nothing is changed: ``settle`` records outcomes,
reconciliation only says where the books and the processor disagree — and a
report with a difference, or one that could not compare everything, is never
``balanced``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from sqlalchemy import select

from ..db.models import ChargeRow, ChargeState, RefundRow, RefundState
from ..errors import InvalidInput, NotSupportedError, OutcomeUnknown
from ..money import format_money
from ..types import ChargeInfo, ChargeStatus
from . import _common as common

if TYPE_CHECKING:
    from .context import FlowContext

__all__ = ["Difference", "ReconcileReport", "reconcile"]

_PAID = (ChargeState.DONE, ChargeState.DISPUTED, ChargeState.LOST)


@dataclass(frozen=True)
class Difference:
    """One disagreement: ``charge_id`` is payproc's charge (``None`` for a
    payment payproc does not know), ``processor_key`` the processor's."""

    kind: str
    message: str
    charge_id: int | None = None
    processor_key: str | None = None

    def __str__(self) -> str:
        where = f"charge #{self.charge_id}" if self.charge_id is not None else f"payment {self.processor_key}"
        return f"{where}: {self.message}"


@dataclass
class ReconcileReport:
    since: datetime
    until: datetime
    compared: int = 0
    differences: list[Difference] = field(default_factory=list)
    #: what could not be compared (the backend lacks a look-up, the processor
    #: could not be reached)
    not_compared: list[str] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return not self.differences and not self.not_compared

    def lines(self) -> list[str]:
        out = [str(d) for d in self.differences] + [f"not compared: {n}" for n in self.not_compared]
        verdict = "the books agree with the processor" if self.balanced else (
            f"{len(self.differences)} difference(s), {len(self.not_compared)} not compared")
        return [*out, f"{self.compared} charge(s) compared from {self.since:%Y-%m-%d %H:%M} to "
                      f"{self.until:%Y-%m-%d %H:%M} UTC: {verdict}"]

    def __str__(self) -> str:
        return "\n".join(self.lines())


def reconcile(app: FlowContext, since: datetime, until: datetime) -> ReconcileReport:
    """Compare the charges and refunds of ``[since, until)`` with the
    processor's; change nothing."""
    if since.tzinfo is None or until.tzinfo is None:
        raise InvalidInput("since and until must be timezone-aware (UTC) datetimes")
    # in UTC: the report prints them as UTC, and SQLite compares the stored UTC times as text
    since, until = since.astimezone(timezone.utc), until.astimezone(timezone.utc)
    if since >= until:
        raise InvalidInput(f"since ({since:%Y-%m-%d %H:%M}) must be before until ({until:%Y-%m-%d %H:%M})")
    report = ReconcileReport(since, until)
    with app.db.reading() as session:
        charges: Sequence[ChargeRow] = session.scalars(select(ChargeRow).where(
            ChargeRow.created_at >= since, ChargeRow.created_at < until).order_by(ChargeRow.id)).all()
        pending = {charge_id: amount for charge_id, amount in session.execute(
            select(RefundRow.charge_id, RefundRow.amount).where(RefundRow.state == RefundState.PENDING))}
        known_keys = set(session.scalars(select(ChargeRow.processor_key).where(ChargeRow.processor_key.is_not(None))))
        known_idem = set(session.scalars(select(ChargeRow.idempotency_key)))
    backend = app.backend
    if not backend.supports("retrieve_charge"):
        report.not_compared.append(f"backend {backend.name!r} has no retrieve_charge: {len(charges)} charge(s) "
                                   "of the period cannot be compared")
    else:
        for charge in charges:
            _compare(app, report, charge, pending.get(charge.id, 0))
    if backend.supports("list_payments"):
        try:
            payments: Sequence[ChargeInfo] = backend.call("list_payments", since=since, until=until)
        except OutcomeUnknown as error:
            report.not_compared.append(f"the processor's payments could not be listed: {error}")
        else:
            for payment in payments:
                if payment.processor_key in known_keys or (payment.idempotency_key or "") in known_idem:
                    continue
                if payment.status == ChargeStatus.SUCCEEDED:
                    report.differences.append(Difference(
                        "unknown_payment", f"the processor took {format_money(payment.amount, payment.currency)} "
                        "that payproc has no charge for", None, payment.processor_key))
    else:
        reason = backend.unsupported_reason("list_payments") or "the backend cannot list payments"
        report.not_compared.append(f"payments payproc does not know cannot be found (no list_payments: {reason})")
    return report


def _compare(app: FlowContext, report: ReconcileReport, charge: ChargeRow, in_flight: int) -> None:
    with app.db.reading() as session:
        customer, provider, broker, _roles = common.charge_parties(app, session, charge)
    try:
        info: ChargeInfo = app.backend.call("retrieve_charge", charge=common.charge_ref(charge, customer, provider,
                                                                                         broker))
    except (OutcomeUnknown, NotSupportedError) as error:
        report.not_compared.append(f"charge #{charge.id}: {error}")
        return
    report.compared += 1

    def differ(kind: str, message: str) -> None:
        report.differences.append(Difference(kind, message, charge.id, info.processor_key or charge.processor_key))

    paid_here = charge.state in _PAID
    paid_there = info.status == ChargeStatus.SUCCEEDED
    if paid_there and not paid_here:
        differ("state", f"the processor took {format_money(info.amount, info.currency or charge.currency)}; "
                        f"payproc has the charge {charge.state}")
    elif paid_here and not paid_there:
        differ("state", f"payproc has the charge {charge.state}; the processor says {info.status.value}")
    if not (paid_here and paid_there):
        return
    if info.amount != charge.amount or (info.currency or charge.currency).lower() != charge.currency:
        differ("amount", f"the processor charged {format_money(info.amount, info.currency)}, payproc booked "
                         f"{format_money(charge.amount, charge.currency)}")
    if info.amount_refunded != charge.amount_refunded:
        note = f" ({format_money(in_flight, charge.currency)} of refunds still pending)" if in_flight else ""
        differ("refunded", f"the processor refunded {format_money(info.amount_refunded, charge.currency)}, "
                           f"payproc booked {format_money(charge.amount_refunded, charge.currency)}{note}")
