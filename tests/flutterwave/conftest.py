"""Fixtures of the Flutterwave v3 backend's tests.

Everything runs against the fake v3 server in :mod:`fakeserver` (127.0.0.1,
free port). Every connection of the process is recorded by :mod:`netguard`
and one that would leave loopback is refused and fails the run; the one
exception is the sandbox smoke test (``test_flw_sandbox.py``), which reaches
Flutterwave's API only when ``FLW_TEST_SECRET_KEY`` is set. The legacy v2
path's tests live in ``legacy/`` (they need the ``[rave]`` extra).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def _load(name: str, directory: Path | None = None, prefix: str = "payproc_flutterwave_tests_") -> Any:
    """Load a sibling module under a unique name: other backends' test
    directories have a ``harness.py`` too."""
    unique = prefix + name
    if unique in sys.modules:
        return sys.modules[unique]
    path = (directory or Path(__file__).parent) / f"{name}.py"
    spec = importlib.util.spec_from_file_location(unique, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[unique] = module
    spec.loader.exec_module(module)
    return module


GUARD = _load("netguard").GUARD
_fakeserver = _load("fakeserver")
_load("helpers")
_harness = _load("harness")
FakeFlutterwave, FakeServer = _fakeserver.FakeFlutterwave, _fakeserver.FakeServer
FlutterwaveHarness = _harness.FlutterwaveHarness
PUB_KEY, SEC_KEY, WEBHOOK_HASH = _fakeserver.PUB_KEY, _fakeserver.SEC_KEY, _fakeserver.WEBHOOK_HASH

#: The one remote host these tests may reach, and only with sandbox keys.
SANDBOX_KEY = os.environ.get("FLW_TEST_SECRET_KEY")
if SANDBOX_KEY:
    GUARD.allowed_hosts.add("api.flutterwave.com")
GUARD.install()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if any connection would have left loopback."""
    if GUARD.violations:
        session.exitstatus = 1
        sys.stderr.write(f"\nFlutterwave tests tried to leave loopback: {GUARD.violations!r}\n")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say whether the sandbox smoke test ran, and why not."""
    terminalreporter.write_line(
        "Flutterwave sandbox smoke test: " + ("run against api.flutterwave.com" if SANDBOX_KEY else
                                              "skipped, FLW_TEST_SECRET_KEY is not set (offline: the fake v3 "
                                              "server stands in; see plugins/payproc-flutterwave/README.md)"))


@pytest.fixture(scope="session")
def fake_server() -> Iterator[Any]:
    with FakeServer(FakeFlutterwave(PUB_KEY, SEC_KEY)) as server:
        yield server


@pytest.fixture
def fake(fake_server: Any) -> Any:
    """The fake's state, fresh for each test."""
    fake_server.app.reset()
    return fake_server.app


@pytest.fixture
def fake_backend_settings(fake_server: Any) -> dict[str, Any]:
    """The PROCESSOR section for the fake server (the legacy tests override it)."""
    return {
        "BACKEND": "flutterwave",
        "PUB_KEY": PUB_KEY,
        "PRIV_KEY": SEC_KEY,
        "WEBHOOK_SECRET": WEBHOOK_HASH,
        "API_BASE": fake_server.url,
        "TIMEOUT": 5.0,
    }


@pytest.fixture
def payproc_harness(fake: Any, fake_backend_settings: dict[str, Any]) -> Any:
    return FlutterwaveHarness(fake_backend_settings, fake)


@pytest.fixture
def make_backend() -> Any:
    """Build a configured backend (the core's facade) from settings."""
    from payproc.backend import load_backend
    from payproc.settings import BackendSettings

    def make(settings: dict[str, Any]) -> Any:
        return load_backend(BackendSettings(**settings), observers=False)

    return make


@pytest.fixture
def backend(payproc_harness: Any, make_backend: Any) -> Any:
    return make_backend(dict(payproc_harness.processor_settings()))


@pytest.fixture
def backend_with(fake: Any, fake_backend_settings: dict[str, Any], make_backend: Any) -> Any:
    """A backend on the fake server, with settings overridden."""

    def build(**overrides: Any) -> Any:
        return make_backend({**fake_backend_settings, **overrides})

    return build
