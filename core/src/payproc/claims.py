"""Claiming work in small batches so that several processes, on several
machines, split it without doing any item twice.

On PostgreSQL a claim is one statement: ``UPDATE … SET lease = … WHERE id IN
(SELECT … FOR UPDATE SKIP LOCKED LIMIT n) RETURNING …``. Concurrent claimers
skip each other's locked rows instead of waiting for them, and the lease they
commit keeps the rows theirs after the statement: nobody else takes a leased
row until its lease has passed. A worker that dies holds its batch only until
then; the next claim after that picks it up. Renewal leases are on the
database's clock (the one every machine shares); charge leases use the clock
the checkout's own lease uses (:data:`payproc.flows.checkout.LEASE`).

SQLite has one writer at a time and payproc runs it in one process: there
the callers keep their single-process path (the whole list, no lease).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, func, or_, select, update

from .db.models import ChargeRow, Profile
from .flows import _common as common

if TYPE_CHECKING:
    from .flows.context import FlowContext

__all__ = [
    "DueRenewal",
    "charges_to_settle",
    "claim_charges",
    "claim_renewals",
    "due_renewals",
    "release_renewals",
    "renewal_leases",
]


@dataclass(frozen=True)
class DueRenewal:
    """One customer's renewal as a worker sees it when it takes it."""

    profile_id: int
    slug: str
    amount: int
    currency: str
    due: date
    attempt: int
    has_card: bool


_COLUMNS = (Profile.id, Profile.slug, Profile.renewal_amount, Profile.renewal_currency,
            Profile.renewal_due, Profile.nb_renewal_attempts, Profile.processor_card_key)


def _due_filter(app: FlowContext, today: date) -> tuple[ColumnElement[bool], ...]:
    return (Profile.renewal_due <= today, Profile.renewal_amount > 0, Profile.renewal_currency.is_not(None),
            Profile.nb_renewal_attempts < app.settings.RENEWALS.MAX_RENEWAL_ATTEMPTS)


def _to_due(rows: Iterable[Sequence[Any]], today: date) -> list[DueRenewal]:
    # the due filter leaves no NULL amount, currency or due date
    items = [DueRenewal(pid, slug, amount or 0, currency or "", due or today, attempts or 0, bool(card_key))
             for pid, slug, amount, currency, due, attempts, card_key in rows]
    return sorted(items, key=lambda item: (item.due, item.profile_id))


def due_renewals(app: FlowContext, today: date) -> list[DueRenewal]:
    """Every renewal due on or before ``today`` with attempts left, oldest
    first, unclaimed (the single-process path)."""
    with app.db.transaction() as session:
        rows = session.execute(select(*_COLUMNS).where(*_due_filter(app, today))
                               .order_by(Profile.renewal_due, Profile.id)).all()
    return _to_due(rows, today)


def count_due(app: FlowContext, today: date) -> int:
    """How many renewals are due (claimed or not): a progress bar's total."""
    with app.db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(Profile).where(*_due_filter(app, today))) or 0)


def claim_renewals(app: FlowContext, today: date, limit: int, lease: timedelta) -> list[DueRenewal]:
    """Take up to ``limit`` due renewals nobody holds, for ``lease``
    (PostgreSQL). Committed before it returns: the rows are this worker's
    until the lease passes or :func:`release_renewals`."""
    free = or_(Profile.renewal_lease_until.is_(None), Profile.renewal_lease_until < func.now())
    batch = (select(Profile.id).where(*_due_filter(app, today), free)
             .order_by(Profile.renewal_due, Profile.id).limit(limit).with_for_update(skip_locked=True))
    with app.db.transaction() as session:
        rows = session.execute(
            update(Profile).where(Profile.id.in_(batch.scalar_subquery()))
            .values(renewal_lease_until=func.now() + lease)
            .returning(*_COLUMNS)
            .execution_options(synchronize_session=False)
        ).all()
    return _to_due(rows, today)


def release_renewals(app: FlowContext, profile_ids: Iterable[int]) -> None:
    """Give claimed renewals back at once (a worker stopping cleanly)."""
    ids = list(profile_ids)
    if ids:
        with app.db.transaction() as session:
            session.execute(update(Profile).where(Profile.id.in_(ids)).values(renewal_lease_until=None)
                            .execution_options(synchronize_session=False))


def renewal_leases(app: FlowContext, today: date, *, ending_by: datetime | None = None
                   ) -> tuple[datetime, float] | None:
    """When the last lease held on a due renewal passes (only leases that
    pass by ``ending_by``, if given), and the seconds left until then, both
    on the database's clock (PostgreSQL); None when no such lease is held.

    What a job queue that lost a worker mid-batch waits for before it claims
    again (:mod:`payproc.integrations.celery`): the dead worker's batch is
    among these leases, and nothing tells it apart from a live worker's."""
    held = [*_due_filter(app, today), Profile.renewal_lease_until > func.now()]
    if ending_by is not None:
        held.append(Profile.renewal_lease_until <= ending_by)
    with app.db.transaction() as session:
        end, now = session.execute(select(func.max(Profile.renewal_lease_until), func.now()).where(*held)).one()
    if end is None:
        return None
    return end, (end - now).total_seconds()


def _settle_filter(at: Any, older_than: timedelta, customer_id: int | None) -> list[ColumnElement[bool]]:
    conditions = [ChargeRow.state.in_(common.OPEN_STATES),  # awaiting, created, requires_action
                  or_(ChargeRow.lease_until.is_(None), ChargeRow.lease_until < at),
                  ChargeRow.created_at <= at - older_than]
    if customer_id is not None:
        conditions.append(ChargeRow.customer_id == customer_id)
    return conditions


def claim_charges(app: FlowContext, limit: int, lease: timedelta, *, older_than: timedelta = timedelta(0),
                  customer_id: int | None = None) -> list[ChargeRow]:
    """Take up to ``limit`` charges in progress that no worker holds (their
    lease passed or was never taken), for ``lease`` (PostgreSQL). The
    checkout's own lease is the same column, so a charge whose checkout is
    still calling the processor is never taken."""
    at = common.now()
    batch = (select(ChargeRow.id).where(*_settle_filter(at, older_than, customer_id))
             .order_by(ChargeRow.id).limit(limit).with_for_update(skip_locked=True))
    with app.db.transaction() as session:
        charges = session.scalars(
            update(ChargeRow).where(ChargeRow.id.in_(batch.scalar_subquery()))
            .values(lease_until=at + lease)
            .returning(ChargeRow)
            .execution_options(synchronize_session=False)
        ).all()
    return sorted(charges, key=lambda charge: charge.id)


def charges_to_settle(app: FlowContext, *, customer: str | None = None, older_than: timedelta = timedelta(0),
                      batch_size: int = 20, lease: timedelta = timedelta(seconds=120)) -> Iterator[ChargeRow]:
    """The charges :func:`payproc.flows.checkout.settle` asks the processor
    about. SQLite: every one in progress, read once. PostgreSQL: claimed
    ``batch_size`` at a time until none is left, so settle processes running
    at once (on several machines) split them and never ask about a charge
    twice at the same time."""
    customer_id = None
    if customer is not None:
        with app.db.transaction() as session:
            customer_id = common.get_profile(session, customer).id
    if app.db.is_sqlite:
        at = common.now()
        with app.db.transaction() as session:  # read, then closed: settling writes
            pending = session.scalars(select(ChargeRow).where(*_settle_filter(at, older_than, customer_id))
                                      .order_by(ChargeRow.id)).all()
        yield from pending
        return
    while batch := claim_charges(app, batch_size, lease, older_than=older_than, customer_id=customer_id):
        yield from batch
