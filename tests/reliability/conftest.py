"""Fixtures of the reliability tests, and a scanner that runs around every
one of them: with every logger at DEBUG, no log record may show a known
secret or a card number (PCI DSS SAQ A: no card data in our logs)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from relsupport import leaks, make_app, postgres_url

from payproc.app import Payproc


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(text)


@pytest.fixture(autouse=True)
def no_secret_or_card_in_logs() -> Iterator[None]:
    """Every log line of the test, at DEBUG, scanned for secrets and card
    numbers when the test ends."""
    root = logging.getLogger()
    handler, level = _Collect(), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    found = sorted({leak for line in handler.lines for leak in leaks(line)})
    assert not found, f"log lines show what they must not: {found}"


@pytest.fixture
def rel_app(tmp_path) -> Iterator[Payproc]:  # type: ignore[no-untyped-def]
    app = make_app(f"sqlite:///{tmp_path}/rel.sqlite3")
    yield app
    app.db.dispose()


@pytest.fixture
def rel_pg_app() -> Iterator[Payproc]:
    """On PostgreSQL, tables recreated (skipped without a server, failed in CI)."""
    from payproc.db import Database

    url = postgres_url()
    database = Database(url)
    database.drop_all()
    database.dispose()
    app = make_app(url)
    yield app
    app.db.dispose()
