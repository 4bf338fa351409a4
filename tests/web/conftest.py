"""Fixtures for the HTTP side: a Payproc app on the fake backend (its own
simulated processor account, a SQLite file in tmp_path) and the Starlette app
that serves it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from payproc.app import Payproc
from payproc.settings import load_settings

WEBHOOK_SECRET = "whsec_web_tests_0123456789"
CUSTOMER = "alice"


def make_payproc(database_url: str) -> Payproc:
    account = f"acct_web_{uuid.uuid4().hex[:10]}"
    app = Payproc(load_settings(DATABASE_URL=database_url, PROCESSOR={
        "BACKEND": "fake", "ACCOUNT": account, "WEBHOOK_SECRET": WEBHOOK_SECRET}))
    app.init_db()
    app.add_profile(CUSTOMER, "Alice Martin", "alice@example.com")
    return app


@pytest.fixture
def payproc_app(tmp_path) -> Iterator[Payproc]:  # type: ignore[no-untyped-def]
    from payproc_fake import processor

    app = make_payproc(f"sqlite:///{tmp_path}/web.sqlite3")
    yield app
    app.db.dispose()
    processor.reset(app.backend.settings.ACCOUNT)  # type: ignore[attr-defined]


@pytest.fixture
def client(payproc_app: Payproc) -> Iterator[object]:
    from payproc.web import create_app
    from starlette.testclient import TestClient

    with TestClient(create_app(payproc_app, default_customer=CUSTOMER)) as test_client:
        yield test_client
