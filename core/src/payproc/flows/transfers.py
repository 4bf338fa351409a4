"""Payouts to providers and their reconciliation with the processor.

A payout is booked (``provider:Withdraw <- provider:Funds``) once, by its
processor key, whether payproc made it or reconciliation finds it.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from sqlalchemy import func, insert, select

from .. import ledger
from ..db.models import LedgerRow, TransferRow
from ..errors import InvalidInput
from ..money import normalize_currency, validate_amount
from ..types import BankInfo, TransferRecord
from . import _common as common

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..app import Payproc


def available_funds(session: Session, provider_id: int, currency: str) -> int:
    incoming = session.scalar(select(func.coalesce(func.sum(LedgerRow.dest_amount), 0)).where(
        LedgerRow.dest_profile_id == provider_id, LedgerRow.dest_account == ledger.FUNDS,
        LedgerRow.dest_unit == currency)) or 0
    outgoing = session.scalar(select(func.coalesce(func.sum(LedgerRow.orig_amount), 0)).where(
        LedgerRow.orig_profile_id == provider_id, LedgerRow.orig_account == ledger.FUNDS,
        LedgerRow.orig_unit == currency)) or 0
    return int(incoming) - int(outgoing)


def _record(session: Session, provider_id: int, record: TransferRecord) -> bool:
    if session.scalar(select(TransferRow.id).where(TransferRow.processor_key == record.processor_key)):
        return False
    session.add(TransferRow(provider_id=provider_id, processor_key=record.processor_key, amount=record.amount,
                            currency=record.currency, description=record.description,
                            created_at=record.created_at))
    session.execute(insert(LedgerRow), [ledger.withdraw_row(
        provider_id, record.amount, record.currency, record.description or f"Payout {record.processor_key}",
        record.created_at, record.processor_key)])
    return True


def create_transfer(app: Payproc, provider: str, amount: int, currency: str, descr: str | None = None) -> TransferRecord:
    """Pay ``amount`` of ``provider``'s funds out to its bank account."""
    validate_amount(amount)
    currency = normalize_currency(currency)
    app.backend.require("create_transfer")
    with app.db.transaction() as session:
        prov = common.get_profile(session, provider)
        party = common.to_party(prov)
    fee = app.backend.call_optional("prorate_transfer", amount=amount, provider=party) or 0
    with app.db.transaction() as session:
        funds = available_funds(session, prov.id, currency)
        if amount + fee > funds:
            fee_text = f" plus a payout fee of {fee}" if fee else ""
            raise InvalidInput(f"{provider} has {funds} {currency} available; cannot pay out {amount}{fee_text}")
    record: TransferRecord = app.backend.call(
        "create_transfer", provider=party, amount=amount, currency=currency, descr=descr,
        idempotency_key=f"pp_tr_{uuid.uuid4().hex}")
    with app.db.transaction() as session:
        if _record(session, prov.id, record) and fee:
            session.execute(insert(LedgerRow), [ledger.payout_fee_row(
                app.settings.PROCESSOR_ID, prov.id, fee, currency, record.created_at, record.processor_key)])
    app.backend.notify("transfer_created", provider=party, transfer=record)
    return record


def reconcile_transfers(app: Payproc, provider: str, *, limit_to_one_request: bool = False) -> list[TransferRecord]:
    """Book the payouts the processor made that payproc has not booked yet."""
    with app.db.transaction() as session:
        prov = common.get_profile(session, provider)
        since = session.scalar(select(func.max(TransferRow.created_at)).where(TransferRow.provider_id == prov.id))
        party = common.to_party(prov)
    since = since or datetime(1970, 1, 1, tzinfo=timezone.utc)
    records = app.backend.call("reconcile_transfers", provider=party, since=since,
                               limit_to_one_request=limit_to_one_request)
    added = []
    with app.db.transaction() as session:
        for record in records:
            if _record(session, prov.id, record):
                added.append(record)
    return added


def retrieve_bank(app: Payproc, provider: str, *, includes_balance: bool = True) -> BankInfo:
    with app.db.transaction() as session:
        prov = common.get_profile(session, provider)
        broker = common.get_profile(session, app.settings.BROKER)
        party, broker_party = common.to_party(prov), common.to_party(broker, is_broker=True)
    result: BankInfo = app.backend.call("retrieve_bank", provider=party, broker=broker_party,
                                        includes_balance=includes_balance)
    return result
