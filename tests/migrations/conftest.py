"""Fixtures for the migration tests: empty databases on SQLite and on
PostgreSQL (``PAYPROC_TEST_POSTGRES_URL``, emptied before each test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from migration_schema import empty_postgres


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """An empty database: a SQLite file, or the emptied PostgreSQL test database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/payproc.sqlite3"
    else:
        url = request.getfixturevalue("postgres_url")
        empty_postgres(url)
        yield url
