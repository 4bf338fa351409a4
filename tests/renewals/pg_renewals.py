"""What the tests of renewals across processes on PostgreSQL share: those
of this directory (test_renewals_postgres.py: ``pg_worker.py`` processes)
and tests/celery (Celery workers). Both talk to ONE fake processor in a
process of its own (shared_processor.py) and count at it and in the
database, never by timing the code.

The fixtures are imported by each directory's conftest.py, so that
``pytest tests/renewals`` and ``pytest tests/celery`` each run alone; this
is a module of its own because a module named conftest cannot be imported
from when several test directories are collected in one run.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from payproc.db import Profile
from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

import shared_processor  # noqa: E402
from pg_worker import make_app  # noqa: E402

TODAY = date(2024, 3, 31)


@pytest.fixture(scope="module")
def processor_server() -> Iterator[str]:
    server = shared_processor.start()
    yield server.address
    server.shutdown()


@pytest.fixture
def world(postgres_url: str, processor_server: str) -> Iterator[dict[str, Any]]:
    """A fresh database and a fresh account on the shared processor."""
    account = f"acct_pg_{uuid.uuid4().hex[:10]}"
    app = make_app(postgres_url, processor_server, account)
    app.db.drop_all()
    app.init_db()
    yield {"url": postgres_url, "address": processor_server, "account": account, "app": app}
    app.db.dispose()


def add_due(world: dict[str, Any], n: int, token: str = "tok_visa") -> list[int]:
    """``n`` customers with a card on file at the shared processor and a
    renewal of 15.00 USD due TODAY; returns their profile ids."""
    service = shared_processor.connect(world["address"])
    cards = service.add_customers(world["account"], n, token)
    with world["app"].db.transaction() as session:
        session.execute(insert(Profile), [
            {"slug": f"cust{i:05d}", "printable_name": f"c{i}", "processor_card_key": card,
             "renewal_amount": 1500, "renewal_currency": "usd", "renewal_due": TODAY}
            for i, card in enumerate(cards)])
        return list(session.scalars(select(Profile.id).where(Profile.slug.like("cust%"))))


def charges_per_customer(world: dict[str, Any]) -> Counter[int]:
    """Succeeded renewal charges at the processor per profile id (from
    their keys, ``renewal_<id>_…``)."""
    keys = shared_processor.connect(world["address"]).succeeded_keys(world["account"])
    return Counter(int(key.split("_")[1]) for key in keys if key.startswith("renewal_"))


def charge_arrivals(world: dict[str, Any]) -> list[float]:
    """When each ``create_charge`` request reached the processor."""
    return [at for at, method in shared_processor.connect(world["address"]).arrivals(world["account"])
            if method == "create_charge"]


def due_and_leased(world: dict[str, Any]) -> tuple[set[int], set[int]]:
    """Profiles still due TODAY, and those of them under a lease now."""
    with world["app"].db.transaction() as session:
        due = set(session.scalars(select(Profile.id).where(Profile.renewal_due == TODAY)))
        leased = set(session.scalars(select(Profile.id).where(
            Profile.renewal_due == TODAY, Profile.renewal_lease_until > func.now())))
    return due, leased


def wait_until(condition: Callable[[], bool], timeout: float = 90.0, every: float = 0.1) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds (a
    bound against hanging, not a measure of anything)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(every)
