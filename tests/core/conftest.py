"""Fixtures for the core's behaviour tests: a Payproc app on the fake backend
with its own simulated processor account and a fresh database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from coreapp import make_app

from payproc.app import Payproc


@pytest.fixture
def app(tmp_path) -> Iterator[Payproc]:  # type: ignore[no-untyped-def]
    application = make_app(f"sqlite:///{tmp_path}/payproc.sqlite3")
    yield application
    application.db.dispose()


@pytest.fixture
def account(app: Payproc):  # type: ignore[no-untyped-def]
    """The simulated processor account behind ``app`` (the backdoor)."""
    from payproc_fake import processor

    return processor.get_account(app.backend.settings.ACCOUNT)  # type: ignore[attr-defined]


@pytest.fixture
def pg_app() -> Iterator[Payproc]:
    """A Payproc app on PostgreSQL (``PAYPROC_TEST_POSTGRES_URL``), tables
    recreated. Skipped when the variable is unset, except in CI, where it
    fails: CI must run these."""
    import os

    url = os.environ.get("PAYPROC_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("PAYPROC_TEST_POSTGRES_URL is not set in CI: the PostgreSQL tests must run")
        pytest.skip("PAYPROC_TEST_POSTGRES_URL is not set")
    from payproc.db import Database

    Database(url).drop_all()
    application = make_app(url)
    yield application
    application.db.dispose()
