"""Celery tasks for payproc (``pip install payproc[celery]``), for
applications that already run Celery workers.

    from payproc.integrations.celery import register

    tasks = register(celery_app, get_payproc)   # get_payproc() -> Payproc, once per worker process

* Renewals, fanned out by claimed batch: ``payproc.renewals.start`` sends
  ``parallel`` ``payproc.renewals.batch`` tasks. Each claims ONE batch of
  due renewals (PostgreSQL, ``FOR UPDATE SKIP LOCKED`` with a lease:
  :mod:`payproc.claims`), charges it under the global rate limit
  (:mod:`payproc.ratelimit`), and, if it found work, sends itself again to
  claim the next one. So up to ``parallel`` batches are in flight across all
  workers, and a claim is made only when a worker is free to charge it (the
  lease covers the work, not the queue). On SQLite (one process), ``start``
  sends one task that runs the whole list.
* Settling, on a schedule: ``payproc.settle`` (every ``settle_every``
  seconds in Celery beat's schedule, charges older than ``settle_older_than``
  seconds) asks the processor about charges whose outcome is unknown;
  concurrent runs split them (claimed batches).
* Deferred webhooks (optional): ``create_app(..., defer_webhooks=tasks.defer_webhook)``
  makes the web endpoint verify and store each delivery, then send
  ``payproc.webhooks.process``, which applies it exactly once
  (:mod:`payproc.webhook_inbox`).

A worker lost mid-task (killed, out of memory, its machine gone): the batch
and webhook tasks are acknowledged only once they ran (``acks_late``), so
the broker delivers them again; ``reject_on_worker_lost`` makes a worker
whose pool process died give the task back instead of recording it as
failed. RabbitMQ redelivers as soon as the dead worker's connection is
closed; Redis only once the transport's ``visibility_timeout`` has passed
(an hour by default: set it in ``broker_transport_options``, above the
longest task and above ``RENEWALS.LEASE_SECONDS``, or the delayed task
below is delivered twice).

* A webhook task run again applies the event if the lost run had not
  committed it, else finds it recorded and only marks the inbox row
  (:mod:`payproc.webhook_inbox`): applied once either way.
* A renewal batch task run again claims a batch like any other, but the
  dead worker's batch stays leased (``RENEWALS.LEASE_SECONDS``, on the
  database's clock) and the fan-out may end before that. So a batch task
  that arrives redelivered also sends one more batch task, due when every
  lease held then has passed (it checks the database's clock and waits on
  if it came early): that claim takes the dead batch, the renewal keys make
  it safe for the charges it had in flight, and the fan-out goes on from
  there. Like any run after a lease, it also takes renewals of the day that
  did not go through (declined, unknown) and whose lease has passed. A
  charge the dead worker had in flight keeps its own lease (2 minutes from
  when it was sent, :data:`payproc.flows.checkout.LEASE`); with
  ``LEASE_SECONDS`` well above that (300 by default) that claim finishes
  it too, else it waits for settle and the next start.

Tasks take and return JSON-serializable values only (dates as ISO strings).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..app import Payproc
    from ..webhook_inbox import StoredWebhook

__all__ = ["PayprocTasks", "register"]


@dataclass(frozen=True)
class PayprocTasks:
    """The registered tasks (Celery task objects) and the web endpoint's
    ``defer_webhooks`` callback."""

    start_renewals: Any
    renew_batch: Any
    settle: Any
    process_webhook: Any

    def defer_webhook(self, stored: StoredWebhook) -> None:
        """Send a stored delivery to ``payproc.webhooks.process``."""
        self.process_webhook.delay(stored.inbox_id)


def _summary(summary: Any) -> dict[str, Any]:
    return {"charged": summary.charged, "declined": summary.declined, "unknown": summary.unknown,
            "skipped": summary.skipped, "failed": summary.failed, "needs_customer": summary.needs_customer,
            "amounts": dict(summary.amounts),
            "elapsed": summary.elapsed}


def register(celery_app: Any, get_payproc: Callable[[], Payproc], *, namespace: str = "payproc",
             parallel: int = 4, settle_every: float | None = 300.0, settle_older_than: float = 60.0,
             queue: str | None = None) -> PayprocTasks:
    """Register payproc's tasks on ``celery_app`` under ``namespace``.

    ``get_payproc`` is called once per worker process, on first use (after
    the pool forked). ``parallel``: renewal batches in flight at once.
    ``settle_every``: seconds between scheduled settle runs (None: not
    scheduled). ``queue``: the queue the tasks go to (default: Celery's).
    """
    from .. import claims
    from ..renewals import RenewalSummary, default_limiter, limited, run_renewals

    payproc = functools.cache(get_payproc)
    options: dict[str, Any] = {"queue": queue} if queue else {}

    task: dict[str, Any] = {}  # the Celery task objects, filled below

    def renew_batch(self: Any, today: str | None = None, after: str | None = None) -> dict[str, Any]:
        app = payproc()
        day = date.fromisoformat(today) if today else None
        if app.db.is_sqlite:
            return _summary(run_renewals(app, today=day, progress=False))
        due_on = day or datetime.now(timezone.utc).date()  # noqa: UP017 - Python 3.10
        if after is not None:  # a sweep (below): early if the leases it waits for still hold
            waiting = claims.renewal_leases(app, due_on, ending_by=datetime.fromisoformat(after))
            if waiting is not None:
                task["batch"].apply_async((today, after), countdown=waiting[1])
                return _summary(RenewalSummary())
        if (self.request.delivery_info or {}).get("redelivered"):
            # A worker was lost with this task (or had it prefetched): the
            # batch it claimed stays leased, and the fan-out may end before
            # the lease passes. One more task claims once every lease held
            # now has passed (a sweep: ``after`` is when).
            held = claims.renewal_leases(app, due_on)
            if held is not None:
                task["batch"].apply_async((today, held[0].isoformat()), countdown=held[1])
        summary = run_renewals(app, today=day, progress=False, max_batches=1)
        if summary.total:  # found work: claim the next batch (the fan-out goes on)
            task["batch"].delay(today)
        return _summary(summary)

    def start_renewals(today: str | None = None, parallel_batches: int | None = None) -> int:
        count = 1 if payproc().db.is_sqlite else (parallel_batches or parallel)
        for _ in range(count):
            task["batch"].delay(today)
        return count

    def settle(older_than: float = settle_older_than) -> list[int]:
        app = payproc()
        changed = limited(app, default_limiter(app)).settle(older_than=timedelta(seconds=older_than))
        return [charge.id for charge in changed.charges]

    def process_webhook(inbox_id: int) -> dict[str, Any]:
        from ..webhook_inbox import process_stored

        return asdict(process_stored(payproc(), inbox_id))

    # Acknowledged after they ran, given back if the pool process running
    # them dies: a lost worker's task is delivered again (module docstring).
    # Settle and start are not: beat sends settle again, and start is a few
    # sends. tests/celery kills workers to prove it.
    late = {"acks_late": True, "reject_on_worker_lost": True}
    task["batch"] = celery_app.task(name=f"{namespace}.renewals.batch", bind=True, **late, **options)(renew_batch)
    task["start"] = celery_app.task(name=f"{namespace}.renewals.start", **options)(start_renewals)
    task["settle"] = celery_app.task(name=f"{namespace}.settle", **options)(settle)
    task["webhook"] = celery_app.task(name=f"{namespace}.webhooks.process", **late, **options)(process_webhook)

    if settle_every:
        schedule = dict(celery_app.conf.beat_schedule or {})
        schedule[f"{namespace}.settle"] = {"task": task["settle"].name, "schedule": float(settle_every),
                                           "kwargs": {"older_than": settle_older_than}, "options": options}
        celery_app.conf.beat_schedule = schedule
    return PayprocTasks(task["start"], task["batch"], task["settle"], task["webhook"])
