"""Batch renewals: charge every customer whose renewal is due, on the card on
file.

Safe to interrupt and run again: each renewal's idempotency key names the
customer, the due date and the attempt (``renewal_<id>_<due>_<attempt>``),
so a rerun finds the charge the interrupted run recorded (or the processor
answers the first result again) instead of charging a second time. The due
date advances, and the attempt count resets, in one conditional update after
the charge is done; a decline counts one attempt, once, whatever the number
of reruns; only the card's refusal is a decline (a charge that never reached
the processor, or failed on its side, is retried under the next key of a
deterministic chain without counting an attempt). A charge whose outcome is
unknown keeps its key until it is known.

Concurrency is bounded by a thread pool (``settings.RENEWALS.CONCURRENCY``):
processor calls wait on the network, not the CPU. Processor calls start at
most ``settings.RENEWALS.RATE_LIMIT`` per second, so a batch never trips the
processor's own rate limit.

Across processes and machines (PostgreSQL): each process claims due renewals
``RENEWALS.BATCH_SIZE`` at a time with a lease (:mod:`payproc.claims`), so N
processes split the work and no renewal is taken by two of them; one killed
mid-batch holds its batch until ``RENEWALS.LEASE_SECONDS`` pass, then
another run picks it up (the keys above make that safe even for the charges
it had in flight). The rate limit is then global: one row on the database's
clock that every process's calls wait for (:mod:`payproc.ratelimit`). A
renewal that did not go through (declined, unknown, no card) keeps its lease,
so no process retries it before the lease passes. SQLite keeps the
single-process path: the whole due list, an in-memory token bucket.
"""

from __future__ import annotations

import calendar
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select, update

from . import claims
from .claims import DueRenewal
from .db.models import ChargeRow, ChargeState, Profile, table_of
from .errors import (
    CardError,
    IntegrityMismatch,
    InvalidInput,
    NoPaymentMethod,
    OutcomeUnknown,
    ProcessorError,
    ProcessorSetupError,
)
from .flows._common import LOGGER, rowcount, to_party
from .money import money_text
from .ratelimit import DatabaseRateLimiter, LimitedBackend, Limiter, TokenBucket

if TYPE_CHECKING:
    from .app import Payproc

__all__ = ["RenewalSummary", "TokenBucket", "next_due", "renewal_key", "run_renewals"]

CHARGED, DECLINED, UNKNOWN, SKIPPED, FAILED = "charged", "declined", "unknown", "skipped", "failed"
#: The card needs its holder (3-D Secure): not a decline; ``renewal_needs_customer`` was sent.
NEEDS_CUSTOMER = "needs_customer"


@dataclass
class RenewalSummary:
    """What a batch did. ``charged`` amounts are per currency, in minor units."""

    charged: int = 0
    declined: int = 0
    unknown: int = 0
    skipped: int = 0
    #: processor or setup errors (not the card's fault)
    failed: int = 0
    #: waiting for the customer to authenticate (``renewal_needs_customer``)
    needs_customer: int = 0
    amounts: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0

    @property
    def total(self) -> int:
        return self.charged + self.declined + self.unknown + self.skipped + self.failed + self.needs_customer

    def __str__(self) -> str:
        money = ", ".join(money_text(amount, unit) for unit, amount in sorted(self.amounts.items())) or "nothing"
        return (f"{self.charged} charged ({money}), {self.declined} declined, {self.unknown} unknown, "
                f"{self.skipped} skipped, {self.failed} failed"
                + (f", {self.needs_customer} waiting for the customer" if self.needs_customer else "")
                + f" in {self.elapsed:.1f}s")


_Due = DueRenewal  # the name before payproc.claims


def next_due(due: date) -> date:
    """The same day next month (the month's last day when it has fewer)."""
    year, month = (due.year + 1, 1) if due.month == 12 else (due.year, due.month + 1)
    return date(year, month, min(due.day, calendar.monthrange(year, month)[1]))


def renewal_key(profile_id: int, due: date, attempt: int) -> str:
    """Stable for one customer, due date and attempt: every rerun of an
    interrupted batch sends the same key."""
    return f"renewal_{profile_id}_{due.isoformat()}_{attempt}"


due_renewals = claims.due_renewals


_PROFILES = table_of(Profile)
#: Built once (every renewal runs it): the due date moves on only from the
#: date this renewal charged for, so a rerun cannot advance it twice.
_ADVANCE = (update(_PROFILES)
            .where(_PROFILES.c.id == bindparam("w_id"), _PROFILES.c.renewal_due == bindparam("w_due"))
            .values(renewal_due=bindparam("next_due"), nb_renewal_attempts=0, renewal_lease_until=None))


def _advance(app: Payproc, item: _Due) -> None:
    with app.db.transaction() as session:
        session.connection().execute(
            _ADVANCE, {"w_id": item.profile_id, "w_due": item.due, "next_due": next_due(item.due)})


def _count_failure(app: Payproc, item: _Due) -> bool:
    """One more attempt, once per attempt key (a rerun does not count it
    again). True if this call counted it."""
    with app.db.transaction() as session:
        counted = rowcount(session.execute(
            update(Profile)
            .where(Profile.id == item.profile_id, Profile.renewal_due == item.due,
                   Profile.nb_renewal_attempts == item.attempt)
            .values(nb_renewal_attempts=item.attempt + 1)
            .execution_options(synchronize_session=False)
        ))
        customer = session.get(Profile, item.profile_id) if counted else None
        party = to_party(customer) if customer is not None else None
    if party is not None:
        final = item.attempt + 1 >= app.settings.RENEWALS.MAX_RENEWAL_ATTEMPTS
        app.backend.notify("renewal_charge_failed", customer=party, amount=item.amount,
                           currency=item.currency, final_notice=final)
    return bool(counted)


#: Failure codes that are not the card's refusal: the charge never reached
#: the processor (settled ``not_found``), was refused before being sent, or
#: failed on the processor's or the account's side. They are no decline: no
#: attempt is counted and no ``renewal_charge_failed`` is sent.
NOT_A_DECLINE = frozenset({"not_found", "invalid_input", "processor_error", "setup_error", "canceled",
                           "integrity_mismatch"})


def is_decline(failure_code: str | None) -> bool:
    """Whether a failed renewal charge is the card's refusal."""
    return failure_code not in NOT_A_DECLINE


def _attempt_key(app: Payproc, item: _Due) -> str:
    """The key of this attempt: :func:`renewal_key`, or, when a charge under
    that key failed without the card refusing it (it never reached the
    processor), the next key of a deterministic chain (``…_r1``, ``…_r2``),
    so that reruns find the same charge and never count it as a decline."""
    base = renewal_key(item.profile_id, item.due, item.attempt)
    with app.db.transaction() as session:
        found = dict(session.execute(select(ChargeRow.idempotency_key, ChargeRow.failure_code).where(
            ChargeRow.idempotency_key.like(f"{base}%"), ChargeRow.state == ChargeState.FAILED)).all())
    key, retry = base, 0
    while key in found and not is_decline(found[key]):
        retry += 1
        key = f"{base}_r{retry}"
    return key


def renew(app: Payproc, item: _Due) -> str:
    """Charge one renewal; returns its outcome (charged, declined, ...).
    ``app``'s backend is the rate-limited one (:func:`run_renewals`).

    The attempt's first key is tried first: only when it names a charge that
    failed without the card refusing it is the chain of keys read
    (:func:`_attempt_key`), so a renewal costs no look-up in the usual case."""
    if not item.has_card:
        return SKIPPED
    charge = _charge(app, item, renewal_key(item.profile_id, item.due, item.attempt))
    if isinstance(charge, ChargeRow) and charge.state == ChargeState.FAILED and not is_decline(charge.failure_code):
        # an earlier run's charge under this key never reached the card: the next key of the chain
        charge = _charge(app, item, _attempt_key(app, item))
    if not isinstance(charge, ChargeRow):
        return charge  # the outcome of a checkout that raised
    if charge.state == ChargeState.DONE:
        _advance(app, item)
        return CHARGED
    if charge.state == ChargeState.REQUIRES_ACTION:  # the bank wants the card holder: not a decline
        return NEEDS_CUSTOMER
    if charge.state == ChargeState.FAILED:  # an interrupted run (or settle) recorded it
        if not is_decline(charge.failure_code):
            return FAILED  # not the card's refusal: the next run tries again under a new key
        _count_failure(app, item)
        return DECLINED
    return UNKNOWN  # pending at the processor, or another worker holds it


def _charge(app: Payproc, item: _Due, key: str) -> ChargeRow | str:
    """The checkout under ``key``: the charge, or the outcome when it raised."""
    try:
        return app.checkout(item.slug, item.amount, item.currency, None, idempotency_key=key,
                            descr=f"Renewal due {item.due.isoformat()}", off_session=True)
    except CardError:
        _count_failure(app, item)
        return DECLINED
    except NoPaymentMethod:
        return SKIPPED
    except OutcomeUnknown:
        return UNKNOWN
    except (ProcessorSetupError, ProcessorError, IntegrityMismatch, InvalidInput) as error:
        # Not the card's refusal: no attempt is counted; the failed charge's
        # code sends the next run to a new key (_attempt_key).
        LOGGER.error("renewal of %s: %s", item.slug, error)
        return FAILED


@contextmanager
def _progress(total: int, enabled: bool) -> Iterator[Callable[[], object]]:
    """A tqdm bar's ``update`` (tqdm is imported only when a bar is shown)."""
    if not enabled:
        yield lambda: None
        return
    from tqdm import tqdm

    with tqdm(total=total, unit="renewal", desc="renewals", smoothing=0.1) as bar:
        yield bar.update


def default_limiter(app: Payproc, rate: float | None = None) -> Limiter:
    """The processor rate limit (``rate`` or ``RENEWALS.RATE_LIMIT``): one for
    every process on a PostgreSQL database (named after the backend), an
    in-memory bucket on SQLite."""
    options = app.settings.RENEWALS
    if app.db.is_sqlite:
        return TokenBucket(rate or options.RATE_LIMIT)
    return DatabaseRateLimiter(app.db, f"processor:{app.backend.name}", rate or options.RATE_LIMIT,
                               headroom=options.RATE_HEADROOM)


def limited(app: Payproc, limiter: Limiter) -> Payproc:
    """``app`` on the same settings and database whose processor calls wait
    for ``limiter``."""
    from .app import Payproc

    return Payproc(app.settings, database=app.db, backend=LimitedBackend(app.backend, limiter))


def run_renewals(app: Payproc, *, today: date | None = None, concurrency: int | None = None,
                 rate_limit: float | None = None, progress: bool = True,
                 limiter: Limiter | None = None, batch_size: int | None = None,
                 lease: timedelta | None = None, max_batches: int | None = None,
                 summary: RenewalSummary | None = None) -> RenewalSummary:
    """Charge every renewal due on or before ``today`` (UTC today by default).

    ``concurrency``, ``rate_limit``, ``batch_size`` and ``lease`` default to
    ``settings.RENEWALS``; ``limiter`` replaces the rate limit (tests). On
    PostgreSQL, renewals are claimed a batch at a time, so several runs (in
    several processes) share the work; the run ends when a claim finds
    nothing left, or after ``max_batches`` claims (a task's share). On an interruption (``KeyboardInterrupt``), charges in
    flight finish, the rest are not started (their claims are given back),
    and the exception propagates: run the batch again to finish.
    Pass ``summary`` to read what was done so far after an interruption.
    """
    started = time.perf_counter()
    today = today or datetime.now(timezone.utc).date()  # noqa: UP017 - Python 3.10
    options = app.settings.RENEWALS
    workers = concurrency or options.CONCURRENCY
    app.backend  # noqa: B018 - load the backend once, before the threads share it
    worker_app = limited(app, limiter or default_limiter(app, rate_limit))
    if app.db.is_sqlite:
        items = claims.due_renewals(app, today)
        total = len(items)

        def claim() -> list[_Due]:
            batch, items[:] = list(items), []
            return batch
    else:
        size, held = batch_size or options.BATCH_SIZE or workers, lease or timedelta(seconds=options.LEASE_SECONDS)
        total = claims.count_due(app, today) if progress else 0

        claimed = 0

        def claim() -> list[_Due]:
            nonlocal claimed
            if max_batches is not None and claimed >= max_batches:
                return []
            claimed += 1
            return claims.claim_renewals(app, today, size, held)

    summary = summary if summary is not None else RenewalSummary()
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="payproc-renewal")
    futures: dict[Future[str], _Due] = {}
    try:
        with _progress(total, progress) as tick:
            exhausted = False
            while True:
                if not exhausted and len(futures) < workers:  # keep the pool fed, one batch ahead at most
                    batch = claim()
                    exhausted = not batch
                    futures.update({executor.submit(renew, worker_app, item): item for item in batch})
                if not futures:
                    break
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for future in done:
                    item = futures.pop(future)
                    outcome = future.result()
                    setattr(summary, outcome, getattr(summary, outcome) + 1)
                    if outcome == CHARGED:
                        summary.amounts[item.currency] += item.amount
                    tick()
    except BaseException:
        not_started = [item for future, item in futures.items() if future.cancel()]
        executor.shutdown(wait=True, cancel_futures=True)
        if not app.db.is_sqlite:
            claims.release_renewals(app, [item.profile_id for item in not_started])
        raise
    finally:
        summary.elapsed = time.perf_counter() - started
    executor.shutdown(wait=True)
    return summary
