"""What the Alembic migrations cost the callers of ``init_db()``.

Per database (a fresh SQLite file; PostgreSQL when reachable, its payproc
tables dropped first), medians over ``n`` runs, in milliseconds:

* ``init_db_empty``: ``Payproc.init_db()`` on an empty database (tables from
  the models, stamped at the head: what test suites do per test);
* ``replay_empty``: the same database built by running every revision
  (``migrate.upgrade(replay=True)``), which ``init_db`` avoids;
* ``init_db_up_to_date``: ``init_db()`` of a new Payproc on a database at the
  head (an application's start-up);
* ``first_use_check``: the schema check of a new Database's first
  transaction (one query);
* ``first_init_db_in_process``: the first ``init_db()`` of a fresh interpreter
  on an empty SQLite file, in a subprocess (Alembic is not imported when
  nothing has to migrate; its import alone was about 350 ms here).
"""

from __future__ import annotations

import functools
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from _common import POSTGRES_URL, postgres_available, sqlite_url


def _ms(action: Callable[[], Any]) -> float:
    began = time.perf_counter()
    action()
    return (time.perf_counter() - began) * 1000


def _empty(url: str) -> str:
    if url.startswith("sqlite"):
        return sqlite_url()
    from payproc.db import Database

    database = Database(url)
    database.drop_all()
    database.dispose()
    return url


def _database_runs(url: str, n: int) -> dict[str, float]:
    from payproc.app import Payproc
    from payproc.db import Database, migrate

    def app(target: str) -> Payproc:
        return Payproc(DATABASE_URL=target, PROCESSOR={"BACKEND": "fake"})

    app(_empty(url)).init_db()  # imports and parses once, outside the figures
    figures: dict[str, list[float]] = {key: [] for key in (
        "init_db_empty", "replay_empty", "init_db_up_to_date", "first_use_check")}
    for _ in range(n):
        fresh = app(_empty(url))
        figures["init_db_empty"].append(_ms(fresh.init_db))
        fresh.db.dispose()
        replayed = Database(_empty(url))
        figures["replay_empty"].append(_ms(functools.partial(migrate.upgrade, replayed, replay=True)))
        replayed.dispose()
        again = app(fresh.settings.DATABASE_URL)
        figures["init_db_up_to_date"].append(_ms(again.init_db))
        again.db.dispose()
        checked = Database(fresh.settings.DATABASE_URL)
        figures["first_use_check"].append(_ms(checked.check_schema))
        checked.dispose()
    return {key: statistics.median(values) for key, values in figures.items()}


def _first_init_db_in_process() -> float:
    code = ("import tempfile, time; from payproc.app import Payproc; "
            "app = Payproc(DATABASE_URL=f'sqlite:///{tempfile.mkdtemp()}/db.sqlite3', PROCESSOR={'BACKEND': 'fake'}); "
            "began = time.perf_counter(); app.init_db(); print((time.perf_counter() - began) * 1000)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=tempfile.gettempdir())
    return float(out.stdout.strip().splitlines()[-1])


def run(n: int) -> dict[str, Any]:
    results: dict[str, Any] = {"sqlite": _database_runs(sqlite_url(), n)}
    if postgres_available():
        results["postgresql"] = _database_runs(POSTGRES_URL, n)
    results["first_init_db_in_process"] = statistics.median(_first_init_db_in_process() for _ in range(max(3, n // 5)))
    return results


if __name__ == "__main__":
    import json

    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 20), indent=1))
