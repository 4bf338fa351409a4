"""The global rate limiter's own connection: one statement per grant, in
autocommit with ``synchronous_commit = off`` — a setting that must never
reach a connection of the engine's pool (those commit money) — and a
connection the server dropped is replaced without failing the caller."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from payproc.db import Database
from payproc.ratelimit import DatabaseRateLimiter
from sqlalchemy import text

pytestmark = pytest.mark.postgres


@pytest.fixture
def database(postgres_url: str) -> Iterator[Database]:
    db = Database(postgres_url)
    db.drop_all()
    db.upgrade()
    yield db
    db.dispose()


def next_at_moved(db: Database, name: str) -> bool:
    with db.engine.connect() as connection:
        return bool(connection.execute(
            text("SELECT next_at > clock_timestamp() FROM payproc_rate_limit WHERE name = :n"), {"n": name}).scalar())


def test_a_grant_moves_the_row_and_a_second_limiter_is_told_how_long_to_wait(database: Database) -> None:
    waits: list[float] = []
    first = DatabaseRateLimiter(database, "processor:test", rate=0.5)
    second = DatabaseRateLimiter(database, "processor:test", rate=0.5, sleep=waits.append)
    first.acquire()
    assert next_at_moved(database, "processor:test")
    assert second._try() is not None  # noqa: SLF001 - the grant is taken: a wait, not a grant
    wait = second._try()  # noqa: SLF001
    assert wait is not None and 0 < wait <= first.interval
    first.close()
    second.close()


def test_the_limiters_setting_never_reaches_the_engines_pool(database: Database) -> None:
    limiter = DatabaseRateLimiter(database, "processor:pool", rate=1000)
    for _ in range(3):
        limiter.acquire()
    connections = [database.engine.connect() for _ in range(3)]  # the pool's, including any returned one
    try:
        assert {c.execute(text("SHOW synchronous_commit")).scalar() for c in connections} == {"on"}
    finally:
        for connection in connections:
            connection.close()
    with limiter._lock:  # noqa: SLF001
        with limiter._connection.cursor() as cursor:  # noqa: SLF001
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "off"
    limiter.close()


def test_a_connection_the_server_dropped_is_replaced(database: Database) -> None:
    limiter = DatabaseRateLimiter(database, "processor:dropped", rate=1000)
    limiter.acquire()
    with limiter._connection.cursor() as cursor:  # noqa: SLF001
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with database.engine.begin() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    limiter.acquire()  # no error: a new connection
    with limiter._connection.cursor() as cursor:  # noqa: SLF001
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
    limiter.close()
    assert limiter._connection is None  # noqa: SLF001
