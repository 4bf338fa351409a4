"""Refunds: never more than what is left, checked before the processor is
asked, under a row lock so two concurrent refunds cannot both pass.

A refund is recorded ``pending`` (with its idempotency key) before the
processor call and ``done`` with its ledger rows after it; what is left of a
charge counts pending refunds, so a refund in flight is never refunded twice.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from .. import ledger
from ..db.models import ChargeRow, ChargeState, LedgerRow, RefundRow, RefundState
from ..errors import OutcomeUnknown, ProcessorError, RefundExceedsRemaining
from ..guards import refuse_card_data
from ..money import validate_amount
from ..retry import call_with_retries
from ..types import Distribution, RefundResult, WebhookEvent
from . import _common as common

if TYPE_CHECKING:
    from ..app import Payproc


def _in_flight(session: Session, charge_id: int) -> int:
    return int(session.scalar(
        select(func.coalesce(func.sum(RefundRow.amount), 0))
        .where(RefundRow.charge_id == charge_id, RefundRow.state == RefundState.PENDING)
    ) or 0)


def refund(app: Payproc, charge_id: int, amount: int | None = None, *, idempotency_key: str | None = None) -> RefundRow:
    """Refund ``amount`` (default: all that is left) of a paid charge."""
    backend = app.backend
    backend.require("refund_charge")
    refuse_card_data(None, {"idempotency_key": idempotency_key})
    with app.db.transaction() as session:
        charge = common.lock_charge(app, session, charge_id)
        common.require_state(charge, ChargeState.DONE, action="refund")
        if idempotency_key is not None:
            existing = session.scalar(select(RefundRow).where(RefundRow.idempotency_key == idempotency_key))
            if existing is not None:
                return existing
        left = charge.amount - charge.amount_refunded - _in_flight(session, charge.id)
        if amount is None and left <= 0:
            raise RefundExceedsRemaining(f"nothing is left to refund of charge {charge.id}")
        amount = left if amount is None else amount
        validate_amount(amount, what="refund amount")
        if amount > left:
            raise RefundExceedsRemaining(
                f"cannot refund {amount} {charge.currency} of charge {charge.id}: only {left} is left"
            )
        broker_left = charge.broker_fee_amount * (charge.amount - charge.amount_refunded) // charge.amount
        broker_amount = broker_left if amount == left else charge.broker_fee_amount * amount // charge.amount
        row = RefundRow(charge_id=charge.id, amount=amount, broker_amount=broker_amount,
                        idempotency_key=idempotency_key or f"{charge.idempotency_key}:re:{uuid.uuid4().hex[:12]}")
        session.add(row)
        session.flush()
        customer, provider, broker, roles = common.charge_parties(app, session, charge)
    ref = common.charge_ref(charge, customer, provider, broker)
    before = common.distribution(app, ref, charge.amount_refunded)
    try:
        result: RefundResult = call_with_retries(
            backend, app.settings.RETRIES, "refund_charge", charge=ref, amount=amount,
            broker_amount=broker_amount, idempotency_key=row.idempotency_key)
    except OutcomeUnknown:
        raise  # stays pending: the processor may have refunded; settle_refunds decides
    except ProcessorError:
        with app.db.transaction() as session:
            session.execute(update(RefundRow).where(RefundRow.id == row.id).values(state=RefundState.FAILED))
        raise
    after = common.distribution(app, replace(ref, amount_refunded=ref.amount_refunded + amount),
                                charge.amount_refunded + amount)
    with app.db.transaction() as session:
        charge = common.lock_charge(app, session, charge_id)
        _book(session, charge, row, roles, before, after, result.processor_key)
    backend.notify("refund_created", charge=ref, refund=result)
    return row


def _book(
    session: Session, charge: ChargeRow, row: RefundRow, roles: ledger.Parties,
    before: Distribution, after: Distribution, processor_key: str | None,
) -> None:
    session.execute(update(RefundRow).where(RefundRow.id == row.id)
                    .values(state=RefundState.DONE, processor_key=processor_key))
    row.state, row.processor_key = RefundState.DONE, processor_key
    charge.amount_refunded += row.amount
    session.execute(insert(LedgerRow), ledger.give_back_rows(
        charge, roles, row.amount, before, after, common.now(), event_id=f"re_{row.id}"))


def sync_external_refunds(app: Payproc, session: Session, charge: ChargeRow, event: WebhookEvent) -> None:
    """Record refunds made outside payproc (the processor's dashboard) that a
    ``charge.refunded`` event reveals.

    The processor's total, from ``retrieve_charge`` when the backend has it
    (the event is only a hint), else the event's cumulative ``amount``, is
    compared with what payproc recorded, refunds in flight included.
    """
    if event.refund_processor_key and session.scalar(
        select(RefundRow.id).where(RefundRow.processor_key == event.refund_processor_key)
    ):
        return
    customer, provider, broker, roles = common.charge_parties(app, session, charge)
    ref = common.charge_ref(charge, customer, provider, broker)
    info = app.backend.call_optional("retrieve_charge", charge=ref)
    total = info.amount_refunded if info is not None else (event.amount or 0)
    pending = session.scalars(select(RefundRow).where(
        RefundRow.charge_id == charge.id, RefundRow.state == RefundState.PENDING)).all()
    known = charge.amount_refunded + sum(r.amount for r in pending)
    extra = min(total - known, charge.amount - known)
    if extra <= 0:
        return
    before = common.distribution(app, ref, charge.amount_refunded)
    after = common.distribution(app, replace(ref, amount_refunded=ref.amount_refunded + extra),
                                charge.amount_refunded + extra)
    row = RefundRow(charge_id=charge.id, amount=extra, broker_amount=0,
                    idempotency_key=f"{charge.idempotency_key}:ext:{event.event_id}")
    session.add(row)
    session.flush()
    _book(session, charge, row, roles, before, after, event.refund_processor_key)
    session.execute(update(ChargeRow).where(ChargeRow.id == charge.id)
                    .values(amount_refunded=charge.amount_refunded))


def refund_failed(app: Payproc, session: Session, charge: ChargeRow, refund_key: str | None) -> None:
    """The processor reports a refund failed: a pending one is marked failed;
    a recorded one is reversed in the ledger."""
    if not refund_key:
        return
    row = session.scalar(select(RefundRow).where(RefundRow.processor_key == refund_key))
    if row is None or row.state == RefundState.FAILED:
        return
    if row.state == RefundState.DONE:
        at = common.now()
        rows = session.scalars(select(LedgerRow).where(LedgerRow.event_id == f"re_{row.id}")).all()
        session.execute(insert(LedgerRow), [
            ledger._row((r.orig_profile_id, r.orig_account), (r.dest_profile_id, r.dest_account),
                        r.dest_amount, r.dest_unit, f"{r.descr} - refund failed",
                        charge_id=charge.id, event_id=f"re_{row.id}_failed", created_at=at)
            for r in rows
        ])
        charge.amount_refunded -= row.amount
        session.execute(update(ChargeRow).where(ChargeRow.id == charge.id)
                        .values(amount_refunded=charge.amount_refunded))
    row.state = RefundState.FAILED
