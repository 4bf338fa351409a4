"""The Celery application the tests' worker processes run
(``celery -A celery_app worker``): payproc's tasks on the shared fake
processor and the test's PostgreSQL database, all named by environment
variables the test sets (``PAYPROC_CELERY_*``).

``PAYPROC_CELERY_RUNS``: a file where each worker records that it is ready
and each task run as it starts (task, id, arguments, pool process, whether
the broker redelivered it), so that a test knows which process to kill and
can prove that a task came back. ``PAYPROC_CELERY_LEASE`` and
``PAYPROC_CELERY_CHARGE_LEASE`` shorten the renewal and charge leases
(5 and 2 minutes), so that a test need not wait that long for a dead
worker's leases to pass.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import task_prerun, worker_ready

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "renewals"))

from pg_worker import make_app  # noqa: E402

from payproc.integrations.celery import PayprocTasks, register  # noqa: E402


def make_celery(broker: str, queue: str, settle_every: float | None = None) -> tuple[Celery, PayprocTasks]:
    celery = Celery("payproc_tests", broker=broker)
    celery.conf.update(task_default_queue=queue, worker_prefetch_multiplier=1, broker_connection_retry_on_startup=True,
                       task_ignore_result=True, worker_hijack_root_logger=False)
    visibility = os.environ.get("PAYPROC_CELERY_VISIBILITY_TIMEOUT")
    if visibility:  # Redis: a lost worker's unacknowledged tasks come back after this (default 1 hour)
        celery.conf.broker_transport_options = {
            "visibility_timeout": float(visibility),
            "unacked_restore_interval": 1, "unacked_restore_throttle": 1}  # look for them every second

    def get_payproc() -> Any:
        env = os.environ
        return make_app(env["PAYPROC_CELERY_DB"], env["PAYPROC_CELERY_PROCESSOR"], env["PAYPROC_CELERY_ACCOUNT"],
                        int(env.get("PAYPROC_CELERY_LATENCY_MS", "0")),
                        CONCURRENCY=int(env.get("PAYPROC_CELERY_CONCURRENCY", "4")),
                        BATCH_SIZE=int(env.get("PAYPROC_CELERY_BATCH", "5")),
                        RATE_LIMIT=float(env.get("PAYPROC_CELERY_RATE", "1000")),
                        RATE_HEADROOM=float(env.get("PAYPROC_CELERY_HEADROOM", "0.05")),
                        LEASE_SECONDS=float(env.get("PAYPROC_CELERY_LEASE", "300")))

    return celery, register(celery, get_payproc, settle_every=settle_every, settle_older_than=0.0,
                            parallel=int(os.environ.get("PAYPROC_CELERY_PARALLEL", "4")))


def _record(entry: dict[str, Any]) -> None:
    """One JSON line appended to PAYPROC_CELERY_RUNS in one write (several
    processes append to it)."""
    fd = os.open(os.environ["PAYPROC_CELERY_RUNS"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, (json.dumps(entry) + "\n").encode())
    finally:
        os.close(fd)


def record_run(sender: Any = None, task_id: str | None = None, task: Any = None, args: Any = None,
               **_: Any) -> None:
    delivery = getattr(getattr(task, "request", None), "delivery_info", None) or {}
    _record({"task": getattr(sender, "name", None), "id": task_id, "pid": os.getpid(), "args": list(args or ()),
             "redelivered": bool(delivery.get("redelivered"))})


def record_ready(sender: Any = None, **_: Any) -> None:
    _record({"ready": getattr(sender, "hostname", None), "pid": os.getpid()})


if "PAYPROC_CELERY_BROKER" in os.environ:
    every = os.environ.get("PAYPROC_CELERY_SETTLE_EVERY")
    app, tasks = make_celery(os.environ["PAYPROC_CELERY_BROKER"], os.environ["PAYPROC_CELERY_QUEUE"],
                             float(every) if every else None)
    if os.environ.get("PAYPROC_CELERY_RUNS"):
        task_prerun.connect(record_run, weak=False)
        worker_ready.connect(record_ready, weak=False)
    if os.environ.get("PAYPROC_CELERY_CHARGE_LEASE"):
        from datetime import timedelta

        from payproc.flows import checkout

        checkout.LEASE = timedelta(seconds=float(os.environ["PAYPROC_CELERY_CHARGE_LEASE"]))
