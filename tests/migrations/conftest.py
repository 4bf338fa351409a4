"""Fixtures for the migration tests: empty databases on SQLite and on
PostgreSQL (``PAYPROC_TEST_POSTGRES_URL``, emptied before each test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text


def empty_postgres(url: str) -> None:
    """Drop every table of the public schema (payproc's, Alembic's, an example app's)."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """An empty database: a SQLite file, or the emptied PostgreSQL test database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/payproc.sqlite3"
    else:
        url = request.getfixturevalue("postgres_url")
        empty_postgres(url)
        yield url
