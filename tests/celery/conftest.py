"""Fixtures of the Celery tests (helpers: celery_support.py)."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "renewals"))

import shared_processor  # noqa: E402
from celery_support import Workers  # noqa: E402
from pg_worker import make_app  # noqa: E402


@pytest.fixture(scope="module")
def processor_server() -> Iterator[str]:
    server = shared_processor.start()
    yield server.address
    server.shutdown()


@pytest.fixture
def world(postgres_url: str, processor_server: str) -> Iterator[dict[str, Any]]:
    account = f"acct_celery_{uuid.uuid4().hex[:10]}"
    app = make_app(postgres_url, processor_server, account)
    app.db.drop_all()
    app.init_db()
    env = {"PAYPROC_CELERY_DB": postgres_url, "PAYPROC_CELERY_PROCESSOR": processor_server,
           "PAYPROC_CELERY_ACCOUNT": account, "PAYPROC_CELERY_QUEUE": f"payproc-test-{uuid.uuid4().hex[:10]}"}
    yield {"url": postgres_url, "address": processor_server, "account": account, "app": app, "env": env}
    app.db.dispose()


@pytest.fixture
def workers() -> Iterator[Workers]:
    started = Workers()
    yield started
    started.stop()
