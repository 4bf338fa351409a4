"""Fixtures of the Celery tests (helpers: celery_support.py; the database,
the shared fake processor and its account come from
tests/renewals/pg_renewals.py, which the renewal tests on PostgreSQL use too)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "renewals"))

from celery_support import Workers  # noqa: E402
from pg_renewals import processor_server, world  # noqa: E402, F401 - fixtures


@pytest.fixture
def workers() -> Iterator[Workers]:
    started = Workers()
    yield started
    started.stop()
