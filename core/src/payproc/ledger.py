"""The double-entry ledger, modelled on djaodjin-saas's transactions.

Each row moves an amount from an ``orig`` account to a ``dest`` account; an
account is a profile and a kind (``Funds``, ``Backlog``, ``Liability``…). A
row's two sides carry the same amount and unit, so every unit that enters an
account left another one: the books balance per currency by construction, and
:func:`check_books` proves it on what is actually stored, along with the
invariants that tie the ledger to the charges.

The rows written for a payment (djaodjin's ``payment_successful``)::

    processor:Funds      <- subscriber:Liability   amount      the charge
    broker:Expenses      <- processor:Backlog      fee         processor fee
    provider:Expenses    <- broker:Backlog         broker fee  (when > 0)
    broker:Funds         <- processor:Funds        broker fee  (when > 0)
    processor:Funds      <- broker:Funds           -broker fee (when < 0: a destination
                                                   charge whose processor fee the
                                                   platform pays beyond its own fee)
    provider:Receivable  <- provider:Backlog       amount
    provider:Funds       <- processor:Funds        distribute

A refund (``Refund``) or chargeback (``Chargeback``) of ``r`` gives back what
each party received, computed as the difference between the distribution
before and after::

    provider:<kind>      <- subscriber:Refunded    r
    processor:<kind>     <- processor:Funds        processor fee given back
    processor:<kind>     <- broker:Funds           broker fee given back
    processor:<kind>     <- provider:Funds         distribution given back
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .db.models import (
    ChargeRow,
    ChargeState,
    LedgerRow,
    Profile,
    RefundRow,
    RefundState,
    TransferRow,
    TransferState,
)
from .errors import IntegrityMismatch
from .money import money_text
from .types import Distribution

__all__ = ["BooksReport", "Parties", "check_books", "balances"]

FUNDS, BACKLOG, EXPENSES = "Funds", "Backlog", "Expenses"
LIABILITY, RECEIVABLE, REFUNDED = "Liability", "Receivable", "Refunded"
REFUND, CHARGEBACK, WITHDRAW = "Refund", "Chargeback", "Withdraw"


@dataclass(frozen=True)
class Parties:
    """Profile ids of the four roles in a charge."""

    processor: int
    broker: int
    provider: int
    subscriber: int


def _row(
    dest: tuple[int, str], orig: tuple[int, str], amount: int, unit: str, descr: str,
    *, charge_id: int | None, event_id: str | None, created_at: datetime,
) -> dict[str, Any]:
    return {
        "dest_profile_id": dest[0], "dest_account": dest[1], "dest_amount": amount, "dest_unit": unit,
        "orig_profile_id": orig[0], "orig_account": orig[1], "orig_amount": amount, "orig_unit": unit,
        "descr": descr, "charge_id": charge_id, "event_id": event_id, "created_at": created_at,
    }


def payment_rows(charge: ChargeRow, parties: Parties, dist: Distribution, at: datetime) -> list[dict[str, Any]]:
    p = parties
    kw: dict[str, Any] = {"charge_id": charge.id, "event_id": f"cha_{charge.id}", "created_at": at}
    unit = charge.currency
    rows = [_row((p.processor, FUNDS), (p.subscriber, LIABILITY), charge.amount, unit,
                 f"Charge {charge.processor_key}", **kw)]
    if dist.processor_fee_amount:
        rows.append(_row((p.broker, EXPENSES), (p.processor, BACKLOG), dist.processor_fee_amount,
                         dist.processor_fee_unit, "Processor fee", **kw))
    if dist.broker_fee_amount > 0:
        rows.append(_row((p.provider, EXPENSES), (p.broker, BACKLOG), dist.broker_fee_amount, unit,
                         "Broker fee", **kw))
        rows.append(_row((p.broker, FUNDS), (p.processor, FUNDS), dist.broker_fee_amount, unit,
                         "Broker fee", **kw))
    elif dist.broker_fee_amount < 0:
        # A destination charge whose processor fee is more than the broker's
        # own fee: the whole charge went to the provider and the platform
        # paid the processor the difference out of its own funds. That is
        # money that really moved, so it is booked, from the broker.
        rows.append(_row((p.processor, FUNDS), (p.broker, FUNDS), -dist.broker_fee_amount, unit,
                         "Processor fee paid by the broker", **kw))
    rows.append(_row((p.provider, RECEIVABLE), (p.provider, BACKLOG), charge.amount, unit,
                     "Receivable", **kw))
    rows.append(_row((p.provider, FUNDS), (p.processor, FUNDS), dist.distribute_amount, unit,
                     "Distribution", **kw))
    return _refuse_negative(rows, f"the split of charge {charge.id}")


def _refuse_negative(rows: list[dict[str, Any]], what: str) -> list[dict[str, Any]]:
    """The books never hold a negative amount: a split that needs one (a fee
    larger than the charge) is the backend's error, to be reviewed, and
    nothing of it is booked. (After a refund, what *remains* may well be
    negative — a processor that keeps its fee — but each row books a
    difference, which is not.)"""
    negative = [f"{row['descr']} {row['dest_amount']}" for row in rows if row["dest_amount"] < 0]
    if negative:
        raise IntegrityMismatch(f"{what} would book a negative share ({', '.join(negative)}); nothing was booked")
    return rows


def give_back_rows(
    charge: ChargeRow, parties: Parties, amount: int, before: Distribution, after: Distribution,
    at: datetime, *, kind: str = REFUND, event_id: str | None = None,
) -> list[dict[str, Any]]:
    """Rows of a refund or chargeback of ``amount``."""
    p = parties
    kw: dict[str, Any] = {"charge_id": charge.id, "event_id": event_id or f"cha_{charge.id}", "created_at": at}
    unit = charge.currency
    label = "Refund" if kind == REFUND else "Chargeback"
    rows = [_row((p.provider, kind), (p.subscriber, REFUNDED), amount, unit,
                 f"{label} of charge {charge.processor_key}", **kw)]
    for source, back in (
        (p.processor, before.processor_fee_amount - after.processor_fee_amount),
        (p.broker, before.broker_fee_amount - after.broker_fee_amount),
        (p.provider, before.distribute_amount - after.distribute_amount),
    ):
        if back > 0:
            rows.append(_row((p.processor, kind), (source, FUNDS), back, unit, f"{label} share", **kw))
        elif back < 0 and source == p.broker:
            # the broker's share grows (it paid the processor's fee beyond its
            # own fee and gets that back): it receives, it does not give back
            rows.append(_row((source, FUNDS), (p.processor, kind), -back, unit, f"{label} share", **kw))
        elif back < 0:
            rows.append(_row((p.processor, kind), (source, FUNDS), back, unit, f"{label} share", **kw))
    return _refuse_negative(rows, f"the {label.lower()} of {money_text(amount, unit)} of charge {charge.id}")


def dispute_fee_row(charge: ChargeRow, parties: Parties, fee: int, at: datetime,
                    *, event_id: str | None = None) -> dict[str, Any]:
    return _row((parties.processor, FUNDS), (parties.provider, FUNDS), fee, charge.currency,
                "Dispute fee", charge_id=charge.id, event_id=event_id or f"cha_{charge.id}", created_at=at)


def reversal_row(row: LedgerRow, descr: str, *, event_id: str | None, created_at: datetime) -> dict[str, Any]:
    """The mirror image of ``row``: what it moved goes back (a failed refund
    or payout, a won dispute)."""
    return _row((row.orig_profile_id, row.orig_account), (row.dest_profile_id, row.dest_account),
                row.dest_amount, row.dest_unit, descr, charge_id=row.charge_id, event_id=event_id,
                created_at=created_at)


def withdraw_row(provider_id: int, amount: int, unit: str, descr: str, at: datetime, event_id: str) -> dict[str, Any]:
    return _row((provider_id, WITHDRAW), (provider_id, FUNDS), amount, unit, descr,
                charge_id=None, event_id=event_id, created_at=at)


def payout_fee_row(processor_id: int, provider_id: int, fee: int, unit: str, at: datetime, event_id: str) -> dict[str, Any]:
    """The processor's fee for a payout (``prorate_transfer``), taken from the
    provider's funds."""
    return _row((processor_id, FUNDS), (provider_id, FUNDS), fee, unit, "Payout fee",
                charge_id=None, event_id=event_id, created_at=at)


def balances(session: Session) -> dict[tuple[str, str, str], int]:
    """Balance of every (profile slug, account, unit): what came in minus
    what went out."""
    slugs = dict(session.execute(select(Profile.id, Profile.slug)).all())
    totals: dict[tuple[str, str, str], int] = defaultdict(int)
    for profile_id, account, unit, amount in session.execute(
        select(LedgerRow.dest_profile_id, LedgerRow.dest_account, LedgerRow.dest_unit, func.sum(LedgerRow.dest_amount))
        .group_by(LedgerRow.dest_profile_id, LedgerRow.dest_account, LedgerRow.dest_unit)
    ):
        totals[(slugs[profile_id], account, unit)] += int(amount)
    for profile_id, account, unit, amount in session.execute(
        select(LedgerRow.orig_profile_id, LedgerRow.orig_account, LedgerRow.orig_unit, func.sum(LedgerRow.orig_amount))
        .group_by(LedgerRow.orig_profile_id, LedgerRow.orig_account, LedgerRow.orig_unit)
    ):
        totals[(slugs[profile_id], account, unit)] -= int(amount)
    return dict(totals)


@dataclass
class BooksReport:
    """Outcome of :func:`check_books`: ``problems`` is empty when the books
    balance."""

    totals: dict[str, int]
    problems: list[str]

    @property
    def balanced(self) -> bool:
        return not self.problems


def check_books(session: Session) -> BooksReport:
    """Check that the books balance per currency and agree with the charges."""
    problems: list[str] = []
    unbalanced = session.scalar(
        select(func.count()).select_from(LedgerRow).where(
            (LedgerRow.orig_amount != LedgerRow.dest_amount) | (LedgerRow.orig_unit != LedgerRow.dest_unit)
        )
    )
    if unbalanced:
        problems.append(f"{unbalanced} ledger rows whose two sides differ")
    negative = session.scalar(select(func.count()).select_from(LedgerRow).where(LedgerRow.dest_amount < 0))
    if negative:
        problems.append(f"{negative} ledger rows with a negative amount")
    totals: dict[str, int] = defaultdict(int)
    for (_, _, unit), amount in balances(session).items():
        totals[unit] += amount
    for unit, total in totals.items():
        if total != 0:
            problems.append(f"{unit}: accounts sum to {total}, not 0")
    problems.extend(_check_charges(session))
    problems.extend(_check_payouts(session))
    return BooksReport(dict(totals), problems)


def _check_payouts(session: Session) -> list[str]:
    """Each provider's ``Withdraw`` balance is its payouts that did not fail
    (pending ones are booked when asked for, reversed if they fail)."""
    booked: dict[tuple[int, str], int] = defaultdict(int)
    for dest, orig, sign in ((WITHDRAW, FUNDS, 1), (FUNDS, WITHDRAW, -1)):
        for profile_id, unit, amount in session.execute(
            select(LedgerRow.dest_profile_id if sign > 0 else LedgerRow.orig_profile_id, LedgerRow.dest_unit,
                   func.sum(LedgerRow.dest_amount))
            .where(LedgerRow.dest_account == dest, LedgerRow.orig_account == orig)
            .group_by(LedgerRow.dest_profile_id if sign > 0 else LedgerRow.orig_profile_id, LedgerRow.dest_unit)
        ).all():
            booked[(profile_id, unit)] += sign * int(amount)
    recorded: dict[tuple[int, str], int] = defaultdict(int)
    for provider_id, unit, amount in session.execute(
        select(TransferRow.provider_id, TransferRow.currency, func.sum(TransferRow.amount))
        .where(TransferRow.state != TransferState.FAILED)
        .group_by(TransferRow.provider_id, TransferRow.currency)
    ).all():
        recorded[(provider_id, unit)] += int(amount)
    return [f"profile {profile_id}: {unit} payouts booked {booked.get((profile_id, unit), 0)} "
            f"!= recorded {recorded.get((profile_id, unit), 0)}"
            for profile_id, unit in sorted(set(booked) | set(recorded))
            if booked.get((profile_id, unit), 0) != recorded.get((profile_id, unit), 0)]


def _check_charges(session: Session) -> list[str]:
    problems = []
    charged = dict(
        session.execute(
            select(LedgerRow.charge_id, func.sum(LedgerRow.dest_amount))
            .where(LedgerRow.dest_account == FUNDS, LedgerRow.orig_account == LIABILITY)
            .group_by(LedgerRow.charge_id)
        ).all()
    )
    refunded: dict[int, int] = defaultdict(int)
    for dest, orig, sign in ((REFUND, REFUNDED, 1), (REFUNDED, REFUND, -1)):  # -1: a failed refund reversed
        for charge_id, amount in session.execute(
            select(LedgerRow.charge_id, func.sum(LedgerRow.dest_amount))
            .where(LedgerRow.dest_account == dest, LedgerRow.orig_account == orig)
            .group_by(LedgerRow.charge_id)
        ).all():
            if charge_id is not None:
                refunded[charge_id] += sign * int(amount)
    refund_rows = dict(
        session.execute(
            select(RefundRow.charge_id, func.sum(RefundRow.amount))
            .where(RefundRow.state == RefundState.DONE)
            .group_by(RefundRow.charge_id)
        ).all()
    )
    for charge in session.scalars(select(ChargeRow)):
        booked = int(charged.get(charge.id) or 0)
        paid = charge.state in (ChargeState.DONE, ChargeState.DISPUTED, ChargeState.LOST)
        if booked != (charge.amount if paid else 0):
            problems.append(f"charge {charge.id} ({charge.state}) has {money_text(booked, charge.currency)} booked "
                            f"for {money_text(charge.amount, charge.currency)}")
        if charge.amount_refunded > charge.amount:
            problems.append(f"charge {charge.id} refunded {money_text(charge.amount_refunded, charge.currency)} "
                            f"of {money_text(charge.amount, charge.currency)}")
        if int(refunded.get(charge.id) or 0) != charge.amount_refunded:
            problems.append(f"charge {charge.id}: ledger refunds "
                            f"{money_text(int(refunded.get(charge.id) or 0), charge.currency)} "
                            f"!= recorded {money_text(charge.amount_refunded, charge.currency)}")
        if int(refund_rows.get(charge.id) or 0) != charge.amount_refunded:
            problems.append(f"charge {charge.id}: refund rows "
                            f"{money_text(int(refund_rows.get(charge.id) or 0), charge.currency)} "
                            f"!= recorded {money_text(charge.amount_refunded, charge.currency)}")
    return problems
