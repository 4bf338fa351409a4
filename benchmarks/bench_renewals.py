"""Batch renewals against the fake processor with 100 ms simulated latency
(``PROCESSOR.LATENCY_MS = 100``): wall time of ``run_renewals`` vs the bound
``1.2 × n × latency / concurrency``.

Customers and their cards on file are created directly on the fake
processor and in bulk in the database (not timed). The rate limit is set
high enough not to bind (it is tested in tests/renewals): what is measured
is the thread pool against the latency and the per-renewal CPU cost.
"""

from __future__ import annotations

import time
import uuid
from datetime import date
from typing import Any

from _common import make_app, sqlite_url

DUE = date(2024, 3, 31)


def _setup(url: str, account: str, n: int) -> None:
    from payproc.db import Profile
    from payproc_fake import processor
    from sqlalchemy import insert

    app = make_app(url, fresh=True, ACCOUNT=account)
    api = processor.get_account(account)
    rows = []
    for i in range(n):
        slug = f"r{i:06d}"
        customer = api.save_card("tok_visa", customer_id=None, description=slug, email=None)
        rows.append({"slug": slug, "printable_name": slug, "processor_card_key": customer.id,
                     "renewal_amount": 1500, "renewal_currency": "usd", "renewal_due": DUE})
    with app.db.transaction() as session:
        session.execute(insert(Profile), rows)
    app.db.dispose()


def run(n: int, concurrency: int, latency_ms: int = 100, url: str | None = None) -> dict[str, Any]:
    import resource

    from payproc.renewals import run_renewals

    url = url or sqlite_url()
    account = f"acct_renew_{uuid.uuid4().hex[:8]}"
    _setup(url, account, n)
    app = make_app(url, ACCOUNT=account, LATENCY_MS=latency_ms)
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    began = time.perf_counter()
    summary = run_renewals(app, today=DUE, concurrency=concurrency, rate_limit=1e6, progress=False)
    wall = time.perf_counter() - began
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    assert summary.charged == n, summary
    bound = 1.2 * n * latency_ms / 1000 / concurrency
    app.db.dispose()
    return {"n": n, "concurrency": concurrency, "latency_ms": latency_ms, "wall_s": round(wall, 2),
            "bound_s": round(bound, 2), "wall_over_bound": round(wall / bound, 3),
            "ideal_s": round(n * latency_ms / 1000 / concurrency, 2),
            "cpu_ms_per_renewal": round(cpu / n * 1000, 2), "charged": summary.charged}


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(int(sys.argv[1]), int(sys.argv[2]))))
