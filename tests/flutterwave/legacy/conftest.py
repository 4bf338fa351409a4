"""Fixtures of the legacy v2 path's tests (``payproc_flutterwave.legacy``,
rave_python through the ``[rave]`` extra; skipped without it).

By default everything runs against the fake server in :mod:`fakeserver`
(127.0.0.1, free port). With ``FLUTTERWAVE_TEST_PUB_KEY`` and
``FLUTTERWAVE_TEST_SEC_KEY`` set, the scenario tests (those that only use
``payproc_harness``/``backend``) run against Flutterwave's sandbox instead,
and the tests that need the fake's backdoor or fault injection are skipped
with that reason. Run the sandbox mode without pytest-socket's
``--disable-socket``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

pytest.importorskip(
    "rave_python", reason="the legacy v2 path needs the [rave] extra (nox -s flutterwave_rave runs these tests)")


def _load(name: str) -> Any:
    """Load a sibling module under a unique name: the v3 tests one directory
    up have a ``harness.py`` and a ``fakeserver.py`` too."""
    unique = f"payproc_flutterwave_legacy_tests_{name}"
    if unique in sys.modules:
        return sys.modules[unique]
    spec = importlib.util.spec_from_file_location(unique, Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[unique] = module
    spec.loader.exec_module(module)
    return module


GUARD = sys.modules["payproc_flutterwave_tests_netguard"].GUARD  # the parent conftest installed it
_fakeserver = _load("fakeserver")
_harness = _load("harness")
FakeFlutterwave, FakeServer = _fakeserver.FakeFlutterwave, _fakeserver.FakeServer
FlutterwaveHarness, sandbox_settings = _harness.FlutterwaveHarness, _harness.sandbox_settings
PUB_KEY, SEC_KEY, WEBHOOK_HASH = _fakeserver.PUB_KEY, _fakeserver.SEC_KEY, _fakeserver.WEBHOOK_HASH
LEGACY_BACKEND = _harness.LEGACY_BACKEND

#: Where rave_python would write its identity cache if anything asked it to.
SDK_STATE_PATH = Path(tempfile.gettempdir()) / f"payproc-flw-sdk-state-{os.getpid()}.json"
os.environ["FLW_SDK_STATE_PATH"] = str(SDK_STATE_PATH)

SANDBOX = sandbox_settings()
if SANDBOX is not None:  # the one remote host these tests may reach
    GUARD.allowed_hosts.add(urlsplit(SANDBOX.get("API_BASE") or "https://ravesandboxapi.flutterwave.com/").hostname or "")


@pytest.fixture(scope="session")
def fake_server() -> Iterator[Any]:
    if SANDBOX is not None:
        yield None
        return
    with FakeServer(FakeFlutterwave(PUB_KEY, SEC_KEY)) as server:
        yield server


@pytest.fixture
def fake(fake_server: Any) -> Any:
    """The fake's state, fresh for each test (skips in sandbox mode)."""
    if fake_server is None:
        pytest.skip("needs the fake Flutterwave server's backdoor and fault injection")
    fake_server.app.reset()
    return fake_server.app


@pytest.fixture
def fake_backend_settings(fake: Any, fake_server: Any) -> dict[str, Any]:
    """The legacy backend on the v2 fake (the parent's ``backend_with`` uses it)."""
    return {
        "BACKEND": LEGACY_BACKEND,
        "PUB_KEY": PUB_KEY,
        "PRIV_KEY": SEC_KEY,
        "WEBHOOK_SECRET": WEBHOOK_HASH,
        "API_BASE": fake_server.url,
        "TIMEOUT": 5.0,
    }


@pytest.fixture
def payproc_harness(fake_server: Any, request: pytest.FixtureRequest) -> Any:
    if fake_server is None:
        assert SANDBOX is not None
        return FlutterwaveHarness(SANDBOX)
    fake_server.app.reset()
    return FlutterwaveHarness(request.getfixturevalue("fake_backend_settings"), fake_server.app)
