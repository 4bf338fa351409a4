"""Refunds: never more than what is left, checked before the processor is
asked, under a row lock so two concurrent refunds cannot both pass.

A refund is recorded ``pending`` (with its idempotency key) before the
processor call and ``done`` with its ledger rows after it; what is left of a
charge counts pending refunds, so a refund in flight is never refunded twice.

When the answer is lost (:class:`~payproc.errors.OutcomeUnknown`) the refund
stays ``pending`` and is settled by asking the processor
(``retrieve_refund``): by :func:`settle_refund` (run by ``Payproc.settle``),
by a retry with the same idempotency key, or by the processor's
``charge.refunded`` webhook. A refund the backend refuses before sending
anything (:class:`~payproc.errors.InvalidInput`) leaves no row behind.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from .. import ledger
from ..db.models import ChargeRow, ChargeState, LedgerRow, RefundRow, RefundState
from ..errors import InvalidInput, OutcomeUnknown, ProcessorError, RefundExceedsRemaining
from ..guards import refuse_card_data
from ..money import money_text, validate_amount
from ..retry import call_with_retries
from ..types import ChargeRef, RefundInfo, RefundRef, RefundResult, RefundStatus, WebhookEvent
from . import _common as common

if TYPE_CHECKING:
    from .context import FlowContext

#: Outcomes of :func:`settle_refund`.
DONE, FAILED, PENDING, UNSUPPORTED = "done", "failed", "pending", "unsupported"


def _in_flight(session: Session, charge_id: int) -> int:
    return int(session.scalar(
        select(func.coalesce(func.sum(RefundRow.amount), 0))
        .where(RefundRow.charge_id == charge_id, RefundRow.state == RefundState.PENDING)
    ) or 0)


def refund(app: FlowContext, charge_id: int, amount: int | None = None, *, idempotency_key: str | None = None) -> RefundRow:
    """Refund ``amount`` (default: all that is left) of a paid charge.

    The same ``idempotency_key`` again returns the same refund; if that
    refund's outcome is still unknown, the processor is asked first (and, if
    it never received the request, the refund is sent again with the same
    key)."""
    backend = app.backend
    backend.require("refund_charge")
    refuse_card_data(None, {"idempotency_key": idempotency_key})
    if amount is not None:
        validate_amount(amount, what="refund amount")
    with app.db.transaction() as session:
        charge = common.lock_charge(app, session, charge_id)
        if idempotency_key is not None:
            existing = session.scalar(select(RefundRow).where(RefundRow.idempotency_key == idempotency_key))
            if existing is not None:
                if existing.charge_id != charge.id or (amount is not None and amount != existing.amount):
                    raise InvalidInput(
                        f"idempotency key {idempotency_key!r} was used for another refund "
                        f"({money_text(existing.amount, charge.currency)} of charge {existing.charge_id}); "
                        "use a new key for a new refund")
                retry = existing.state == RefundState.PENDING
        else:
            existing, retry = None, False
        if existing is None:
            row = _record_pending(session, charge, amount, idempotency_key)
    if existing is not None:
        if retry:
            settle_refund(app, existing, resend_when_missing=True)
        return reread(app, existing.id)
    return _send(app, charge_id, row)


def _record_pending(session: Session, charge: ChargeRow, amount: int | None, key: str | None) -> RefundRow:
    common.require_state(charge, ChargeState.DONE, action="refund")
    left = charge.amount - charge.amount_refunded - _in_flight(session, charge.id)
    if amount is None and left <= 0:
        raise RefundExceedsRemaining(f"nothing is left to refund of charge {charge.id}",
                                     charge_id=charge.id, remaining=0, currency=charge.currency)
    amount = left if amount is None else amount
    if amount > left:
        raise RefundExceedsRemaining(
            f"cannot refund {money_text(amount, charge.currency)} of charge {charge.id}: "
            f"only {money_text(left, charge.currency)} is left",
            charge_id=charge.id, amount=amount, remaining=left, currency=charge.currency,
        )
    broker_left = charge.broker_fee_amount * (charge.amount - charge.amount_refunded) // charge.amount
    broker_amount = broker_left if amount == left else charge.broker_fee_amount * amount // charge.amount
    row = RefundRow(charge_id=charge.id, amount=amount, broker_amount=broker_amount,
                    idempotency_key=key or f"{charge.idempotency_key}:re:{uuid.uuid4().hex[:12]}")
    session.add(row)
    session.flush()
    return row


def _send(app: FlowContext, charge_id: int, row: RefundRow) -> RefundRow:
    """Ask the processor for ``row`` (recorded pending) and record its answer."""
    with app.db.transaction() as session:
        charge = session.get(ChargeRow, charge_id)
        assert charge is not None
        customer, provider, broker, _roles = common.charge_parties(app, session, charge)
    ref = common.charge_ref(charge, customer, provider, broker)
    try:
        result: RefundResult = call_with_retries(
            app.backend, app.settings.RETRIES, "refund_charge", charge=ref, amount=row.amount,
            broker_amount=row.broker_amount, idempotency_key=row.idempotency_key)
    except OutcomeUnknown:
        # The processor may have refunded: the row stays pending (it counts
        # against what is left) and, from now on, settle() may ask about it.
        _mark(app, row.id, last_checked_at=common.now())
        common.LOGGER.warning("refund %s of charge %s: outcome unknown; it stays pending until settled",
                              row.id, charge_id)
        raise
    except InvalidInput:
        # Refused by the backend before anything was sent (an amount the
        # processor cannot take): no refund exists anywhere, none is kept.
        with app.db.transaction() as session:
            session.execute(delete(RefundRow).where(RefundRow.id == row.id, RefundRow.state == RefundState.PENDING))
        raise
    except ProcessorError as error:
        _mark(app, row.id, state=RefundState.FAILED, failure_code=_code(error))
        raise
    with app.db.transaction() as session:
        booked = book_refund(app, session, charge_id, row.id, result.processor_key)
    if booked:
        app.backend.notify("refund_created", charge=ref, refund=result)
    return reread(app, row.id)


def _code(error: ProcessorError) -> str:
    return str(getattr(error, "code", None) or "processor_error")[:64]


def _mark(app: FlowContext, refund_id: int, **values: object) -> None:
    with app.db.transaction() as session:
        session.execute(update(RefundRow).where(RefundRow.id == refund_id, RefundRow.state == RefundState.PENDING)
                        .values(**values))


def reread(app: FlowContext, refund_id: int) -> RefundRow:
    """The refund row as it is now."""
    with app.db.transaction() as session:
        row = session.get(RefundRow, refund_id)
        assert row is not None
        return row


def book_refund(app: FlowContext, session: Session, charge_id: int, refund_id: int, processor_key: str | None) -> bool:
    """Pending -> done with its ledger rows, under the charge's lock; False
    (nothing written) if another path booked it first."""
    charge = common.lock_charge(app, session, charge_id)
    row = session.get(RefundRow, refund_id, populate_existing=True)
    if row is None or row.state == RefundState.DONE:
        return False
    customer, provider, broker, roles = common.charge_parties(app, session, charge)
    ref = common.charge_ref(charge, customer, provider, broker)
    _book(app, session, charge, row, ref, roles, processor_key)
    return True


def _book(app: FlowContext, session: Session, charge: ChargeRow, row: RefundRow, ref: ChargeRef,
          roles: ledger.Parties, processor_key: str | None) -> None:
    before = common.distribution(app, ref, charge.amount_refunded)
    after = common.distribution(app, replace(ref, amount_refunded=ref.amount_refunded + row.amount),
                                charge.amount_refunded + row.amount)
    session.execute(update(RefundRow).where(RefundRow.id == row.id)
                    .values(state=RefundState.DONE, processor_key=processor_key, failure_code=None))
    row.state, row.processor_key = RefundState.DONE, processor_key
    charge.amount_refunded += row.amount
    session.execute(update(ChargeRow).where(ChargeRow.id == charge.id)
                    .values(amount_refunded=charge.amount_refunded))
    session.execute(insert(LedgerRow), ledger.give_back_rows(
        charge, roles, row.amount, before, after, common.now(), event_id=f"re_{row.id}"))


# --- settling refunds whose outcome is unknown ------------------------------------


@dataclass(frozen=True)
class RefundSettled:
    """What :func:`settle_refund` found: ``outcome`` is ``done``, ``failed``,
    ``pending`` (the processor says it is still processing, or could not be
    reached) or ``unsupported`` (the backend cannot look refunds up);
    ``reason`` says why it is not settled."""

    refund_id: int
    outcome: str
    reason: str = ""


def refund_ref(ref: ChargeRef, row: RefundRow) -> RefundRef:
    return RefundRef(charge=ref, idempotency_key=row.idempotency_key, amount=row.amount,
                     created_at=row.created_at, processor_key=row.processor_key)


def settle_refund(app: FlowContext, row: RefundRow, *, resend_when_missing: bool = False) -> RefundSettled:
    """Ask the processor about a pending refund and record what it says.

    ``NOT_FOUND`` (the request never arrived) marks it failed — nothing was
    refunded and nothing is blocked any more — unless ``resend_when_missing``
    (the caller is retrying that very refund): then it is sent again with the
    same idempotency key."""
    backend = app.backend
    with app.db.transaction() as session:
        charge = session.get(ChargeRow, row.charge_id)
        assert charge is not None
        customer, provider, broker, _roles = common.charge_parties(app, session, charge)
    ref = common.charge_ref(charge, customer, provider, broker)
    if not backend.supports("retrieve_refund"):
        if resend_when_missing:  # the processor's idempotency answers the first result
            return _resend(app, row)
        reason = backend.unsupported_reason("retrieve_refund") or "the backend cannot look refunds up"
        return RefundSettled(row.id, UNSUPPORTED, f"backend {backend.name!r} has no retrieve_refund ({reason})")
    try:
        info: RefundInfo = backend.call("retrieve_refund", refund=refund_ref(ref, row))
    except OutcomeUnknown as error:
        _mark(app, row.id, last_checked_at=common.now())
        return RefundSettled(row.id, PENDING, f"the processor could not be asked: {error}")
    if info.status == RefundStatus.NOT_FOUND and resend_when_missing:
        return _resend(app, row)
    with app.db.transaction() as session:
        return apply_refund_info(app, session, row.id, info)


def _resend(app: FlowContext, row: RefundRow) -> RefundSettled:
    try:
        _send(app, row.charge_id, row)
    except OutcomeUnknown as error:
        return RefundSettled(row.id, PENDING, f"the processor could not be asked: {error}")
    state = reread(app, row.id).state
    return RefundSettled(row.id, DONE if state == RefundState.DONE else FAILED)


def apply_refund_info(app: FlowContext, session: Session, refund_id: int, info: RefundInfo) -> RefundSettled:
    """Record the processor's view of a pending refund (inside the caller's
    transaction)."""
    row = session.get(RefundRow, refund_id, populate_existing=True)
    assert row is not None
    if row.state != RefundState.PENDING:
        return RefundSettled(row.id, DONE if row.state == RefundState.DONE else FAILED)
    at = common.now()
    if info.status == RefundStatus.SUCCEEDED:
        if info.amount and info.amount != row.amount:
            row.last_checked_at = at
            common.LOGGER.error("refund %s: the processor refunded %s for %s; left pending for review",
                                row.id, info.amount, row.amount)
            charge = session.get(ChargeRow, row.charge_id)
            unit = charge.currency if charge is not None else info.currency
            return RefundSettled(row.id, PENDING, f"the processor refunded {money_text(info.amount, info.currency)}, "
                                                  f"not {money_text(row.amount, unit)}: needs review")
        book_refund(app, session, row.charge_id, row.id, info.processor_key)
        return RefundSettled(row.id, DONE)
    if info.status in (RefundStatus.FAILED, RefundStatus.NOT_FOUND):
        session.execute(update(RefundRow).where(RefundRow.id == row.id).values(
            state=RefundState.FAILED, failure_code=info.status.value, last_checked_at=at,
            processor_key=info.processor_key or RefundRow.processor_key))
        return RefundSettled(row.id, FAILED)
    session.execute(update(RefundRow).where(RefundRow.id == row.id).values(
        last_checked_at=at, processor_key=info.processor_key or RefundRow.processor_key))
    return RefundSettled(row.id, PENDING, "the processor is still processing it")


# --- what the processor's webhooks reveal ---------------------------------------------


def sync_external_refunds(app: FlowContext, session: Session, charge: ChargeRow, event: WebhookEvent) -> None:
    """Book what a ``charge.refunded`` event reveals, exactly once: a refund
    payproc asked for whose answer was lost, or one made outside payproc
    (the processor's dashboard).

    Pending refunds of the charge are settled first through
    ``retrieve_refund`` (when the backend has it), so the event's refund is
    matched to the request it answers. The processor's total, from
    ``retrieve_charge`` when the backend has it (the event is only a hint),
    else the event's ``amount``, is then compared with what payproc recorded,
    refunds still in flight included; the difference is booked as a refund
    made outside payproc.
    """
    if event.refund_processor_key and session.scalar(
        select(RefundRow.id).where(RefundRow.processor_key == event.refund_processor_key)
    ):
        return
    customer, provider, broker, roles = common.charge_parties(app, session, charge)
    ref = common.charge_ref(charge, customer, provider, broker)
    pending = session.scalars(select(RefundRow).where(
        RefundRow.charge_id == charge.id, RefundRow.state == RefundState.PENDING)).all()
    if pending and app.backend.supports("retrieve_refund"):
        for row in pending:
            info = app.backend.call("retrieve_refund", refund=refund_ref(ref, row))
            apply_refund_info(app, session, row.id, info)
        session.refresh(charge)
        if event.refund_processor_key and session.scalar(
            select(RefundRow.id).where(RefundRow.processor_key == event.refund_processor_key)
        ):
            return
        ref = common.charge_ref(charge, customer, provider, broker)
        pending = session.scalars(select(RefundRow).where(
            RefundRow.charge_id == charge.id, RefundRow.state == RefundState.PENDING)).all()
    info = app.backend.call_optional("retrieve_charge", charge=ref)
    total = info.amount_refunded if info is not None else charge.amount_refunded + (event.amount or 0)
    known = charge.amount_refunded + sum(r.amount for r in pending)
    extra = min(total - known, charge.amount - known)
    if extra <= 0:
        return
    row = RefundRow(charge_id=charge.id, amount=extra, broker_amount=0,
                    idempotency_key=f"{charge.idempotency_key}:ext:{event.event_id}")
    session.add(row)
    session.flush()
    _book(app, session, charge, row, ref, roles, event.refund_processor_key)


def refund_failed(app: FlowContext, session: Session, charge: ChargeRow, refund_key: str | None) -> None:
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
            ledger.reversal_row(r, f"{r.descr} - refund failed", event_id=f"re_{row.id}_failed", created_at=at)
            for r in rows
        ])
        charge.amount_refunded -= row.amount
        session.execute(update(ChargeRow).where(ChargeRow.id == charge.id)
                        .values(amount_refunded=charge.amount_refunded))
    row.state = RefundState.FAILED
    row.failure_code = "refund_failed"
