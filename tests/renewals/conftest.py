"""Fixtures for the batch renewal tests: an app on a SQLite file with the
fake backend on its own simulated processor account, and a helper that
makes customers with a card on file and a renewal due. Those of the tests
across processes on PostgreSQL are in pg_renewals.py (tests/celery uses
them too)."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from payproc.app import Payproc
from payproc.backend import Backend
from payproc.db import Profile
from payproc.settings import BackendSettings, load_settings
from payproc_fake import processor
from payproc_fake.backend import FakeBackend
from sqlalchemy import update

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pg_renewals import processor_server, world  # noqa: E402, F401 - fixtures of test_renewals_postgres.py

TODAY = date(2024, 3, 31)


@pytest.fixture
def account_name() -> Iterator[str]:
    name = f"acct_renewals_{uuid.uuid4().hex[:12]}"
    yield name
    processor.reset(name)


@pytest.fixture
def account(account_name: str) -> processor.Account:
    return processor.get_account(account_name)


@pytest.fixture
def make_app(tmp_path: Path, account_name: str) -> Callable[..., Payproc]:
    """A new Payproc on the same database and processor account each call
    (an application restart). ``observers`` are registered next to the
    backend, as entry-point observers would be."""

    def make(observers: tuple[tuple[str, Any], ...] = (), **renewals: Any) -> Payproc:
        section = {"BACKEND": "fake", "ACCOUNT": account_name}
        settings = load_settings(DATABASE_URL=f"sqlite:///{tmp_path / 'payproc.sqlite3'}",
                                 PROCESSOR=section, RENEWALS=renewals or {})
        backend = Backend("fake", FakeBackend, BackendSettings(**section), None, observers)
        app = Payproc(settings, backend=backend)
        app.init_db()
        return app

    return make


@pytest.fixture
def app(make_app: Callable[..., Payproc]) -> Payproc:
    return make_app()


@pytest.fixture
def add_customers(app: Payproc) -> Callable[..., list[str]]:
    """``n`` customers with the card ``token`` on file and ``amount``
    ``currency`` due on ``due``; returns their slugs."""

    def add(n: int, *, token: str | None = "tok_visa", amount: int = 1500, currency: str = "usd",
            due: date = TODAY, prefix: str = "cust") -> list[str]:
        slugs = []
        for i in range(n):
            slug = f"{prefix}{i:04d}"
            app.add_profile(slug, f"Customer {i}", f"{slug}@example.com")
            if token is not None:
                app.update_card(slug, token)
            with app.db.transaction() as session:
                session.execute(update(Profile).where(Profile.slug == slug).values(
                    renewal_amount=amount, renewal_currency=currency, renewal_due=due))
            slugs.append(slug)
        return slugs

    return add
