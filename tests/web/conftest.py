"""Fixtures for the HTTP side: a Payproc app on the fake backend (its own
simulated processor account, a SQLite file in tmp_path) and the Starlette app
that serves it."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
from payproc.app import Payproc
from payproc.settings import load_settings

#: Test modules do not import this conftest (module names may clash across
#: test directories): they get these values through fixtures or repeat them.
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

    with TestClient(create_app(payproc_app, demo=True, default_customer=CUSTOMER)) as test_client:
        yield test_client


@contextmanager
def _serving(app: Any) -> Iterator[str]:
    """Serve the ASGI ``app``; yield its base URL (with a trailing slash)."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def serving() -> Callable[[Any], AbstractContextManager[str]]:
    """``with serving(asgi_app) as url:`` — the app on a free loopback port."""
    import uvicorn  # noqa: F401 - fail here, clearly, if the extra is missing

    return _serving


@pytest.fixture
def webhook_secret() -> str:
    return WEBHOOK_SECRET


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright (skipped, or failed in CI,
    without them: see webbrowsing.py)."""
    from webbrowsing import launched_browser

    yield from launched_browser()


@pytest.fixture
def site(payproc_app: Payproc, serving: Callable[[Any], AbstractContextManager[str]]) -> Iterator[str]:
    """The checkout page of ``payproc_app``, served on loopback."""
    from payproc.web import create_app

    with serving(create_app(payproc_app, demo=True, default_customer=CUSTOMER)) as url:
        yield url
