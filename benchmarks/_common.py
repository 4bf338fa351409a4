"""Helpers shared by the benchmarks: statistics over repeated runs, the
database URLs, and building a payproc app on the fake backend."""

from __future__ import annotations

import os
import statistics
import tempfile
from collections.abc import Sequence
from typing import Any

POSTGRES_URL = os.environ.get("PAYPROC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def summary(values: Sequence[float]) -> dict[str, float]:
    """Median and spread (min, max, and the spread as a fraction of the median)."""
    med = statistics.median(values)
    return {"median": med, "min": min(values), "max": max(values),
            "spread": (max(values) - min(values)) / med if med else 0.0, "runs": len(values)}


def sqlite_url() -> str:
    return f"sqlite:///{tempfile.mkdtemp(prefix='payproc-bench-')}/payproc.sqlite3"


def postgres_available() -> bool:
    try:
        import psycopg

        dsn = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, connect_timeout=3):
            return True
    except Exception:
        return False


def make_app(url: str, *, fresh: bool = False, **processor: Any) -> Any:
    """A Payproc on ``url`` with the fake backend (``processor`` adds keys to
    the PROCESSOR section); ``fresh`` drops every payproc table first."""
    from payproc.app import Payproc
    from payproc.settings import load_settings

    section = {"BACKEND": "fake", "WEBHOOK_SECRET": "whsec_bench", **processor}
    app = Payproc(load_settings(DATABASE_URL=url, PROCESSOR=section))
    if fresh:
        app.db.drop_all()
    app.init_db()
    return app


def add_customers(app: Any, slugs: Sequence[str]) -> None:
    from payproc.db import Profile
    from sqlalchemy import insert

    with app.db.transaction() as session:
        session.execute(insert(Profile), [{"slug": s, "printable_name": s, "email": f"{s}@example.com"}
                                          for s in slugs])


class StatementCounter:
    """Counts SQL statements sent on an engine (SQLAlchemy event listener)."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args: Any) -> None:
        self.count += 1
