"""Batch renewals: charge every customer whose renewal is due, on the card on
file.

Safe to interrupt and run again: each renewal's idempotency key names the
customer, the due date and the attempt (``renewal_<id>_<due>_<attempt>``),
so a rerun finds the charge the interrupted run recorded (or the processor
answers the first result again) instead of charging a second time. The due
date advances, and the attempt count resets, in one conditional update after
the charge is done; a decline counts one attempt, once, whatever the number
of reruns. A charge whose outcome is unknown keeps its key until it is known.

Concurrency is bounded by a thread pool (``settings.RENEWALS.CONCURRENCY``):
processor calls wait on the network, not the CPU. Charges start at most
``settings.RENEWALS.RATE_LIMIT`` per second (a token bucket shared by the
workers), so a batch never trips the processor's own rate limit.
"""

from __future__ import annotations

import calendar
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select, update

from .db.models import ChargeState, Profile
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

if TYPE_CHECKING:
    from .app import Payproc

__all__ = ["RenewalSummary", "TokenBucket", "next_due", "renewal_key", "run_renewals"]

CHARGED, DECLINED, UNKNOWN, SKIPPED, FAILED = "charged", "declined", "unknown", "skipped", "failed"


_EPSILON = 1e-9


class Limiter(Protocol):
    def acquire(self) -> None: ...


class TokenBucket:
    """At most ``rate`` acquisitions per second on average, ``burst`` at once.

    Thread-safe; ``acquire`` blocks until a token is free. ``clock`` and
    ``sleep`` are injectable so tests check the schedule without timers.
    (A rate-limit library would bring a dependency and an API that changed
    across major versions for these twenty lines.)
    """

    def __init__(self, rate: float, burst: int = 1, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate, self.burst = float(rate), burst
        self._clock, self._sleep = clock, sleep
        self._tokens = float(burst)
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1 - _EPSILON:  # float sums must not leave a 1e-16 debt
                    self._tokens = max(0.0, self._tokens - 1)
                    return
                wait = (1 - self._tokens) / self.rate
            self._sleep(wait)


@dataclass
class RenewalSummary:
    """What a batch did. ``charged`` amounts are per currency, in minor units."""

    charged: int = 0
    declined: int = 0
    unknown: int = 0
    skipped: int = 0
    #: processor or setup errors (not the card's fault)
    failed: int = 0
    amounts: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0

    @property
    def total(self) -> int:
        return self.charged + self.declined + self.unknown + self.skipped + self.failed

    def __str__(self) -> str:
        money = ", ".join(f"{amount} {unit}" for unit, amount in sorted(self.amounts.items())) or "nothing"
        return (f"{self.charged} charged ({money}), {self.declined} declined, {self.unknown} unknown, "
                f"{self.skipped} skipped, {self.failed} failed in {self.elapsed:.1f}s")


@dataclass(frozen=True)
class _Due:
    profile_id: int
    slug: str
    amount: int
    currency: str
    due: date
    attempt: int
    has_card: bool


def next_due(due: date) -> date:
    """The same day next month (the month's last day when it has fewer)."""
    year, month = (due.year + 1, 1) if due.month == 12 else (due.year, due.month + 1)
    return date(year, month, min(due.day, calendar.monthrange(year, month)[1]))


def renewal_key(profile_id: int, due: date, attempt: int) -> str:
    """Stable for one customer, due date and attempt: every rerun of an
    interrupted batch sends the same key."""
    return f"renewal_{profile_id}_{due.isoformat()}_{attempt}"


def due_renewals(app: Payproc, today: date) -> list[_Due]:
    """Every profile with a renewal due on or before ``today`` and attempts
    left, oldest due first."""
    with app.db.transaction() as session:
        rows = session.execute(
            select(Profile.id, Profile.slug, Profile.renewal_amount, Profile.renewal_currency,
                   Profile.renewal_due, Profile.nb_renewal_attempts, Profile.processor_card_key)
            .where(Profile.renewal_due <= today, Profile.renewal_amount > 0,
                   Profile.renewal_currency.is_not(None),
                   Profile.nb_renewal_attempts < app.settings.RENEWALS.MAX_RENEWAL_ATTEMPTS)
            .order_by(Profile.renewal_due, Profile.id)
        ).all()
    # the query's filters leave no NULL amount, currency or due date
    return [_Due(pid, slug, amount or 0, currency or "", due or today, attempts or 0, bool(card_key))
            for pid, slug, amount, currency, due, attempts, card_key in rows]


def _advance(app: Payproc, item: _Due) -> None:
    with app.db.transaction() as session:
        session.execute(update(Profile).where(Profile.id == item.profile_id, Profile.renewal_due == item.due)
                        .values(renewal_due=next_due(item.due), nb_renewal_attempts=0))


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


def renew(app: Payproc, item: _Due, limiter: Limiter) -> str:
    """Charge one renewal; returns its outcome (charged, declined, ...)."""
    if not item.has_card:
        return SKIPPED
    limiter.acquire()
    key = renewal_key(item.profile_id, item.due, item.attempt)
    try:
        charge = app.checkout(item.slug, item.amount, item.currency, None, idempotency_key=key,
                              descr=f"Renewal due {item.due.isoformat()}")
    except CardError:
        _count_failure(app, item)
        return DECLINED
    except NoPaymentMethod:
        return SKIPPED
    except OutcomeUnknown:
        return UNKNOWN
    except (ProcessorSetupError, ProcessorError, IntegrityMismatch, InvalidInput) as error:
        LOGGER.error("renewal of %s: %s", item.slug, error)
        if not isinstance(error, IntegrityMismatch):  # the charge is failed: retry with a new key
            _count_failure(app, item)
        return FAILED
    if charge.state == ChargeState.DONE:
        _advance(app, item)
        return CHARGED
    if charge.state == ChargeState.FAILED:  # an interrupted run recorded it
        _count_failure(app, item)
        return DECLINED if charge.failure_code not in ("processor_error", "setup_error") else FAILED
    return UNKNOWN  # pending at the processor, or another worker holds it


@contextmanager
def _progress(total: int, enabled: bool) -> Iterator[Callable[[], object]]:
    """A tqdm bar's ``update`` (tqdm is imported only when a bar is shown)."""
    if not enabled:
        yield lambda: None
        return
    from tqdm import tqdm

    with tqdm(total=total, unit="renewal", desc="renewals", smoothing=0.1) as bar:
        yield bar.update


def run_renewals(app: Payproc, *, today: date | None = None, concurrency: int | None = None,
                 rate_limit: float | None = None, progress: bool = True,
                 limiter: Limiter | None = None) -> RenewalSummary:
    """Charge every renewal due on or before ``today`` (UTC today by default).

    ``concurrency`` and ``rate_limit`` default to ``settings.RENEWALS``;
    ``limiter`` replaces the token bucket (tests). On an interruption
    (``KeyboardInterrupt``), charges in flight finish, the rest are not
    started, and the exception propagates: run the batch again to finish.
    """
    started = time.perf_counter()
    today = today or datetime.now(timezone.utc).date()  # noqa: UP017 - Python 3.10
    options = app.settings.RENEWALS
    workers = concurrency or options.CONCURRENCY
    limiter = limiter or TokenBucket(rate_limit or options.RATE_LIMIT)
    app.backend  # noqa: B018 - load the backend once, before the threads share it
    items = due_renewals(app, today)
    summary = RenewalSummary()
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="payproc-renewal")
    try:
        with _progress(len(items), progress) as tick:
            futures: dict[Future[str], _Due] = {executor.submit(renew, app, item, limiter): item for item in items}
            for future in as_completed(futures):
                outcome = future.result()
                setattr(summary, outcome, getattr(summary, outcome) + 1)
                if outcome == CHARGED:
                    item = futures[future]
                    summary.amounts[item.currency] += item.amount
                tick()
    except BaseException:
        executor.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        summary.elapsed = time.perf_counter() - started
    executor.shutdown(wait=True)
    return summary
