"""The Celery application the tests' worker processes run
(``celery -A celery_app worker``): payproc's tasks on the shared fake
processor and the test's PostgreSQL database, all named by environment
variables the test sets (``PAYPROC_CELERY_*``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from celery import Celery

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "renewals"))

from pg_worker import make_app  # noqa: E402

from payproc.integrations.celery import PayprocTasks, register  # noqa: E402


def make_celery(broker: str, queue: str, settle_every: float | None = None) -> tuple[Celery, PayprocTasks]:
    celery = Celery("payproc_tests", broker=broker)
    celery.conf.update(task_default_queue=queue, worker_prefetch_multiplier=1, broker_connection_retry_on_startup=True,
                       task_ignore_result=True, worker_hijack_root_logger=False)

    def get_payproc() -> Any:
        env = os.environ
        return make_app(env["PAYPROC_CELERY_DB"], env["PAYPROC_CELERY_PROCESSOR"], env["PAYPROC_CELERY_ACCOUNT"],
                        int(env.get("PAYPROC_CELERY_LATENCY_MS", "0")),
                        CONCURRENCY=int(env.get("PAYPROC_CELERY_CONCURRENCY", "4")),
                        BATCH_SIZE=int(env.get("PAYPROC_CELERY_BATCH", "5")),
                        RATE_LIMIT=float(env.get("PAYPROC_CELERY_RATE", "1000")),
                        RATE_HEADROOM=float(env.get("PAYPROC_CELERY_HEADROOM", "0.05")))

    return celery, register(celery, get_payproc, settle_every=settle_every, settle_older_than=0.0,
                            parallel=int(os.environ.get("PAYPROC_CELERY_PARALLEL", "4")))


if "PAYPROC_CELERY_BROKER" in os.environ:
    every = os.environ.get("PAYPROC_CELERY_SETTLE_EVERY")
    app, tasks = make_celery(os.environ["PAYPROC_CELERY_BROKER"], os.environ["PAYPROC_CELERY_QUEUE"],
                             float(every) if every else None)
