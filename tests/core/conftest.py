"""Fixtures for the core's behaviour tests: a Payproc app on the fake backend
with its own simulated processor account and a fresh database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from payproc.app import Payproc
from payproc.settings import load_settings

WEBHOOK_SECRET = "whsec_core_tests_0123456789"


def make_app(database_url: str, **processor: object) -> Payproc:
    section = {"BACKEND": "fake", "ACCOUNT": f"acct_{uuid.uuid4().hex[:10]}", "WEBHOOK_SECRET": WEBHOOK_SECRET}
    section.update(processor)
    app = Payproc(load_settings(DATABASE_URL=database_url, PROCESSOR=section))
    app.init_db()
    app.add_profile("cowork", "Cowork Space Ltd.")
    app.add_profile("alice", "Alice Martin", "alice@example.com")
    return app


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
