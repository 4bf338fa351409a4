"""Webhook intake on PostgreSQL: verified (HMAC over the raw body),
de-duplicated events applied per second through ``app.handle_webhook``.

Charges are made first (not timed); then every worker process delivers
``charge.succeeded`` events about its own charges (status ``applied``), and
then the same events again (redeliveries: status ``duplicate``).
"""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

from _common import add_customers, make_app

SECRET = "whsec_bench"


def _worker(args: tuple[str, int, int]) -> dict[str, float]:
    from payproc.types import EventType
    from payproc_fake.webhooks import build_event

    url, start, stop = args
    app = make_app(url)
    keys = []
    for i in range(start, stop):
        charge = app.checkout(f"w{i:07d}", 2000, "usd", "tok_visa")
        keys.append(charge.processor_key)
    events = [build_event(EventType.CHARGE_SUCCEEDED, key, secret=SECRET, amount=2000, currency="usd")
              for key in keys]
    out: dict[str, float] = {}
    for label, expected in (("new", "applied"), ("redelivery", "duplicate")):
        began = time.perf_counter()
        for body, headers in events:
            outcome = app.handle_webhook(body, headers)
            assert outcome.status == expected, outcome
        out[label] = time.perf_counter() - began
    app.db.dispose()
    return out


def run(url: str, *, workers: int, n: int) -> dict[str, Any]:
    app = make_app(url, fresh=True)
    add_customers(app, [f"w{i:07d}" for i in range(n * workers)])
    app.db.dispose()
    jobs = [(url, w * n, (w + 1) * n) for w in range(workers)]
    if workers == 1:
        results = [_worker(jobs[0])]
    else:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = pool.map(_worker, jobs)
    total = n * workers
    return {"events": total,
            "new_events_per_s": total / max(r["new"] for r in results),
            "redeliveries_per_s": total / max(r["redelivery"] for r in results)}
