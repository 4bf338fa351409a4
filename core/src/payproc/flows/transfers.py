"""Payouts to providers, settled like charges: never paid twice, never
guessed.

A payout is recorded ``pending`` with its idempotency key, and booked
(``provider:Withdraw <- provider:Funds``, plus the processor's payout fee),
before the processor is asked: the funds are reserved, so two payouts can
never overdraw them, and a retry finds the payout instead of making another
one. The caller may name the payout with ``idempotency_key``; without one, a
retry of a payout whose answer was lost (same provider, amount and currency)
reuses its key. What the processor answers, or later says through
``retrieve_transfer`` (:func:`settle_transfer`) or a ``transfer.paid`` /
``transfer.failed`` webhook, moves it to ``paid`` or ``failed``; a failed
payout's booking is reversed, once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from sqlalchemy import func, insert, select, update

from .. import ledger
from ..db.models import LedgerRow, Profile, TransferRow, TransferState
from ..errors import InsufficientFunds, InvalidInput, OutcomeUnknown, ProcessorError
from ..money import money_text, normalize_currency, validate_amount
from ..types import BankInfo, EventType, Party, TransferRecord, TransferRef, TransferStatus, WebhookEvent
from . import _common as common

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from .context import FlowContext

#: A payout the processor does not know yet may still be on its way for this
#: long; after it, "not found" means it was never made.
GRACE = timedelta(seconds=120)
#: The webhook events :func:`apply_transfer_event` handles.
TRANSFER_EVENTS = frozenset({EventType.TRANSFER_PAID, EventType.TRANSFER_FAILED})


def available_funds(session: Session, provider_id: int, currency: str) -> int:
    incoming = session.scalar(select(func.coalesce(func.sum(LedgerRow.dest_amount), 0)).where(
        LedgerRow.dest_profile_id == provider_id, LedgerRow.dest_account == ledger.FUNDS,
        LedgerRow.dest_unit == currency)) or 0
    outgoing = session.scalar(select(func.coalesce(func.sum(LedgerRow.orig_amount), 0)).where(
        LedgerRow.orig_profile_id == provider_id, LedgerRow.orig_account == ledger.FUNDS,
        LedgerRow.orig_unit == currency)) or 0
    return int(incoming) - int(outgoing)


def as_record(row: TransferRow) -> TransferRecord:
    return TransferRecord(processor_key=row.processor_key or "", amount=row.amount, currency=row.currency,
                          created_at=row.created_at, description=row.description, status=row.state,
                          idempotency_key=row.idempotency_key)


def _state(status: str) -> str:
    if status in (TransferStatus.FAILED, TransferStatus.CANCELED):
        return TransferState.FAILED
    return TransferState.PAID if status == TransferStatus.PAID else TransferState.PENDING


def _book(app: FlowContext, session: Session, row: TransferRow, fee: int) -> None:
    event_id = f"tr_{row.id}"
    rows = [ledger.withdraw_row(row.provider_id, row.amount, row.currency,
                                row.description or f"Payout {row.idempotency_key}", row.created_at, event_id)]
    if fee:
        rows.append(ledger.payout_fee_row(app.settings.PROCESSOR_ID, row.provider_id, fee, row.currency,
                                          row.created_at, event_id))
    session.execute(insert(LedgerRow), rows)


def _fail(session: Session, row: TransferRow) -> bool:
    """pending/paid -> failed, reversing its booking once. True if changed."""
    changed = common.rowcount(session.execute(
        update(TransferRow).where(TransferRow.id == row.id, TransferRow.state != TransferState.FAILED)
        .values(state=TransferState.FAILED).execution_options(synchronize_session=False)))
    if not changed:
        return False
    at = common.now()
    booked = session.scalars(select(LedgerRow).where(LedgerRow.event_id == f"tr_{row.id}")).all()
    if booked:
        session.execute(insert(LedgerRow), [
            ledger.reversal_row(r, f"{r.descr} - payout failed", event_id=f"tr_{row.id}_failed", created_at=at)
            for r in booked])
    row.state = TransferState.FAILED
    return True


def create_transfer(app: FlowContext, provider: str, amount: int, currency: str, descr: str | None = None,
                    *, idempotency_key: str | None = None) -> TransferRecord:
    """Pay ``amount`` of ``provider``'s funds out to its bank account.

    ``idempotency_key`` names this payout: calling again with it returns the
    same payout (asking the processor first if its answer was lost)."""
    validate_amount(amount)
    currency = normalize_currency(currency)
    backend = app.backend
    backend.require("create_transfer")
    with app.db.transaction() as session:
        prov = common.get_profile(session, provider)
        party = common.to_party(prov)
        existing = _existing(session, prov, amount, currency, idempotency_key)
    if existing is not None:
        return _resume(app, existing, party, descr)
    fee = backend.call_optional("prorate_transfer", amount=amount, provider=party) or 0
    key = idempotency_key or f"pp_tr_{uuid.uuid4().hex}"
    with app.db.transaction() as session:
        app.db.lock_key(session, f"payout:{prov.id}:{currency}")
        if idempotency_key is not None:  # a concurrent call with the key may have recorded it meanwhile
            existing = _existing(session, prov, amount, currency, idempotency_key)
        if existing is None:
            row = _reserve(app, session, prov, amount, currency, fee, key, descr)
    if existing is not None:
        return _resume(app, existing, party, descr)
    return _send(app, row, party, descr)


def _reserve(app: FlowContext, session: Session, prov: Profile, amount: int, currency: str, fee: int, key: str,
             descr: str | None) -> TransferRow:
    """Record the payout pending and book it, if the funds allow (under the
    provider's payout lock)."""
    funds = available_funds(session, prov.id, currency)
    if amount + fee > funds:
        fee_text = f" plus a payout fee of {money_text(fee, currency)}" if fee else ""
        raise InsufficientFunds(
            f"{prov.slug} has {money_text(funds, currency)} available; "
            f"cannot pay out {money_text(amount, currency)}{fee_text}",
            provider=prov.slug, amount=amount, fee=fee, available=funds, currency=currency)
    row = TransferRow(provider_id=prov.id, idempotency_key=key, state=TransferState.PENDING, amount=amount,
                      currency=currency, description=descr or "", created_at=common.now())
    session.add(row)
    session.flush()
    _book(app, session, row, fee)
    return row


def _existing(session: Session, prov: Profile, amount: int, currency: str, key: str | None) -> TransferRow | None:
    if key is not None:
        row = session.scalar(select(TransferRow).where(TransferRow.idempotency_key == key))
        if row is not None and (row.provider_id, row.amount, row.currency) != (prov.id, amount, currency):
            raise InvalidInput(f"idempotency key {key!r} was used for another payout "
                               f"({money_text(row.amount, row.currency)}); use a new key for a new payout")
        return row
    # No key: a retry of a payout whose answer was lost reuses it.
    return session.scalar(select(TransferRow).where(
        TransferRow.provider_id == prov.id, TransferRow.amount == amount, TransferRow.currency == currency,
        TransferRow.state == TransferState.PENDING, TransferRow.processor_key.is_(None),
    ).order_by(TransferRow.id).limit(1))


def _resume(app: FlowContext, row: TransferRow, party: Party, descr: str | None) -> TransferRecord:
    if row.state != TransferState.PENDING or row.processor_key is not None:
        return as_record(row)
    settled = settle_transfer(app, row, resend_when_missing=True, descr=descr)
    if settled.row.state == TransferState.PENDING and settled.row.processor_key is None:
        raise OutcomeUnknown(f"payout {row.idempotency_key!r}: {settled.reason}")
    return as_record(settled.row)


def _send(app: FlowContext, row: TransferRow, party: Party, descr: str | None) -> TransferRecord:
    backend = app.backend
    try:
        record: TransferRecord = backend.call(
            "create_transfer", provider=party, amount=row.amount, currency=row.currency, descr=descr,
            idempotency_key=row.idempotency_key)
    except OutcomeUnknown:
        common.LOGGER.warning("payout %s: outcome unknown; it stays pending until settled", row.id)
        raise
    except (InvalidInput, ProcessorError):
        with app.db.transaction() as session:
            _fail(session, row)  # refused: nothing was paid; the funds are free again
        raise
    with app.db.transaction() as session:
        _apply_record(session, row, record)
    if row.state == TransferState.FAILED:
        backend.notify("transfer_failed", provider=party, transfer=as_record(row))
    else:
        backend.notify("transfer_created", provider=party, transfer=as_record(row))
    return as_record(row)


def _apply_record(session: Session, row: TransferRow, record: TransferRecord) -> bool:
    """Record the processor's view of a payout. True if its state changed."""
    state = _state(record.status)
    before = (row.state, row.processor_key)
    if state == TransferState.FAILED:
        _fail(session, row)
    elif row.state == TransferState.PENDING:
        session.execute(update(TransferRow).where(TransferRow.id == row.id)
                        .values(state=state, processor_key=record.processor_key or None))
        row.state = state
    if row.processor_key is None and record.processor_key:
        session.execute(update(TransferRow).where(TransferRow.id == row.id)
                        .values(processor_key=record.processor_key))
        row.processor_key = record.processor_key
    return (row.state, row.processor_key) != before


@dataclass(frozen=True)
class TransferSettled:
    row: TransferRow
    changed: bool
    reason: str = ""
    until: datetime | None = None


def settle_transfer(app: FlowContext, row: TransferRow, *, resend_when_missing: bool = False,
                    descr: str | None = None) -> TransferSettled:
    """Ask the processor about a pending payout (``retrieve_transfer``) and
    record what it says. A payout the processor does not have is failed (its
    booking reversed) once :data:`GRACE` has passed — or, when
    ``resend_when_missing`` (the caller retries that payout), sent again with
    the same key."""
    backend = app.backend
    with app.db.transaction() as session:
        prov = session.get(Profile, row.provider_id)
        assert prov is not None
        party = common.to_party(prov)
    if not backend.supports("retrieve_transfer"):
        reason = backend.unsupported_reason("retrieve_transfer") or "the backend cannot look payouts up"
        return TransferSettled(row, False, f"backend {backend.name!r} has no retrieve_transfer ({reason})")
    ref = TransferRef(provider=party, idempotency_key=row.idempotency_key or "", amount=row.amount,
                      currency=row.currency, created_at=row.created_at, processor_key=row.processor_key)
    try:
        record: TransferRecord | None = backend.call("retrieve_transfer", transfer=ref)
    except OutcomeUnknown as error:
        return TransferSettled(row, False, f"the processor could not be asked: {error}")
    if record is None:
        if resend_when_missing:
            try:
                _send(app, row, party, descr)
            except OutcomeUnknown as error:
                return TransferSettled(row, False, f"the processor could not be asked: {error}")
            return TransferSettled(row, True)
        until = row.created_at + GRACE
        if until > common.now():
            return TransferSettled(row, False, "the processor has no such payout yet; its request may still "
                                               "be on its way", until)
        with app.db.transaction() as session:
            changed = _fail(session, row)
        return TransferSettled(row, changed)
    with app.db.transaction() as session:
        changed = _apply_record(session, row, record)
    if changed and row.state == TransferState.FAILED:
        backend.notify("transfer_failed", provider=party, transfer=as_record(row))
    reason = "in transit to the bank" if row.state == TransferState.PENDING else ""
    return TransferSettled(row, changed, reason)


def apply_transfer_event(app: FlowContext, session: Session, event: WebhookEvent) -> bool:
    """``transfer.paid`` / ``transfer.failed``: move the payout the event
    names. False when payproc has no such payout (``reconcile_transfers``
    books payouts made outside payproc)."""
    key = event.transfer_processor_key
    row = session.scalar(app.db.for_update(select(TransferRow).where(TransferRow.processor_key == key))) \
        if key else None
    if row is None and key:
        row = _match_lost_answer(app, session, key)
    if row is None:
        common.LOGGER.info("webhook %s: payout %s is not payproc's; ignored", event.event_id, key)
        return False
    status = TransferStatus.FAILED if event.type == EventType.TRANSFER_FAILED else TransferStatus.PAID
    record = TransferRecord(processor_key=key or "", amount=row.amount, currency=row.currency,
                            created_at=row.created_at, status=status.value)
    if _apply_record(session, row, record) and row.state == TransferState.FAILED:
        prov = session.get(Profile, row.provider_id)
        assert prov is not None
        app.backend.notify("transfer_failed", provider=common.to_party(prov), transfer=as_record(row))
    return True


def _match_lost_answer(app: FlowContext, session: Session, key: str) -> TransferRow | None:
    """The pending payout whose answer was lost that the processor calls
    ``key``, found by asking the processor about each such payout
    (``retrieve_transfer``), or ``None``."""
    if not app.backend.supports("retrieve_transfer"):
        return None
    unknown = session.scalars(select(TransferRow).where(
        TransferRow.state == TransferState.PENDING, TransferRow.processor_key.is_(None))).all()
    for row in unknown:
        prov = session.get(Profile, row.provider_id)
        assert prov is not None
        ref = TransferRef(provider=common.to_party(prov), idempotency_key=row.idempotency_key or "",
                          amount=row.amount, currency=row.currency, created_at=row.created_at)
        record: TransferRecord | None = app.backend.call("retrieve_transfer", transfer=ref)
        if record is not None and record.processor_key == key:
            return row
    return None


def reconcile_transfers(app: FlowContext, provider: str, *, limit_to_one_request: bool = False) -> list[TransferRecord]:
    """Book the payouts the processor made that payproc has not booked yet,
    and settle pending ones it reports."""
    with app.db.transaction() as session:
        prov = common.get_profile(session, provider)
        since = session.scalar(select(func.min(TransferRow.created_at)).where(
            TransferRow.provider_id == prov.id, TransferRow.state == TransferState.PENDING)) or session.scalar(
            select(func.max(TransferRow.created_at)).where(TransferRow.provider_id == prov.id))
        party = common.to_party(prov)
    since = since or datetime(1970, 1, 1, tzinfo=timezone.utc)
    records = app.backend.call("reconcile_transfers", provider=party, since=since,
                               limit_to_one_request=limit_to_one_request)
    added = []
    with app.db.transaction() as session:
        for record in records:
            row = session.scalar(select(TransferRow).where(TransferRow.processor_key == record.processor_key))
            if row is None and record.idempotency_key:
                row = session.scalar(select(TransferRow).where(
                    TransferRow.idempotency_key == record.idempotency_key))
            if row is not None:
                _apply_record(session, row, record)
                continue
            row = TransferRow(provider_id=prov.id, processor_key=record.processor_key,
                              idempotency_key=record.idempotency_key, state=_state(record.status),
                              amount=record.amount, currency=record.currency,
                              description=record.description, created_at=record.created_at)
            session.add(row)
            session.flush()
            if row.state != TransferState.FAILED:
                _book(app, session, row, 0)
            added.append(record)
    return added


def retrieve_bank(app: FlowContext, provider: str, *, includes_balance: bool = True) -> BankInfo:
    with app.db.transaction() as session:
        prov = common.get_profile(session, provider)
        broker = common.get_profile(session, app.settings.BROKER)
        party, broker_party = common.to_party(prov), common.to_party(broker, is_broker=True)
    result: BankInfo = app.backend.call("retrieve_bank", provider=party, broker=broker_party,
                                        includes_balance=includes_balance)
    return result
