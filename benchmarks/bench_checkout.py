"""Checkout throughput, end to end, with the fake backend: charge row,
processor call, receipt, ledger rows, commit — ``app.checkout`` with a
one-time token, each checkout for its own customer.

Worker processes (1, 2, 4) each run their own app on the same database.
SQL statements are counted per checkout with a SQLAlchemy event listener
(BEGIN/COMMIT are not cursor executions; the explicit ``BEGIN IMMEDIATE``
on SQLite is counted).
"""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

from _common import StatementCounter, add_customers, make_app


def _worker(args: tuple[str, int, int, int]) -> tuple[int, int, float]:
    url, start, stop, warm = args
    app = make_app(url)
    slugs = [f"c{i:07d}" for i in range(start, stop)]
    for slug in slugs[:warm]:
        app.checkout(slug, 2000, "usd", "tok_visa")
    counter = StatementCounter(app.db.engine)
    began = time.perf_counter()
    for slug in slugs[warm:]:
        charge = app.checkout(slug, 2000, "usd", "tok_visa")
        assert charge.state == "done", charge
    elapsed = time.perf_counter() - began
    app.db.dispose()
    return len(slugs) - warm, counter.count, elapsed


def run(url: str, *, workers: int, n: int, warm: int = 10) -> dict[str, Any]:
    """``n`` timed checkouts per worker; throughput = all charges / slowest worker."""
    per = n + warm
    app = make_app(url, fresh=True)
    add_customers(app, [f"c{i:07d}" for i in range(per * workers)])
    app.db.dispose()
    jobs = [(url, w * per, (w + 1) * per, warm) for w in range(workers)]
    if workers == 1:
        results = [_worker(jobs[0])]
    else:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = pool.map(_worker, jobs)
    done = sum(r[0] for r in results)
    check = make_app(url)
    assert check.check_books().balanced
    check.db.dispose()
    return {"charges": done, "charges_per_s": done / max(r[2] for r in results),
            "statements_per_charge": sum(r[1] for r in results) / done}
