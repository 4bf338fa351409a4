"""pytest plugin entry point of the conformance suite (registered as ``pytest11``).

Installed with payproc, it is active in every pytest run but does nothing
until a test module imports the suite (``from payproc.testing.suite import
*``). It provides:

* the ``payproc_app`` fixture: a :class:`~payproc.app.Payproc` on a fresh
  SQLite database in ``tmp_path``, configured from the ``payproc_harness``
  fixture that the backend's own conftest provides;
* the ``payproc_driver`` fixture: that app plus the harness, driven the way
  an application and its checkout page would
  (:class:`~payproc.testing.driver.Driver`);
* the skipping of suite tests whose requirements the harness does not meet,
  with the reason (:mod:`payproc.testing.requirements`);
* the ``payproc_settings_env`` fixture, for tests of a backend's settings:
  an empty working directory (no ``payproc.toml``, no ``.env``) and no
  ``PAYPROC_*`` variable, so settings come only from what the test sets.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .requirements import NEEDS_MARK, REQUIRES_MARK

# The suite's modules are imported by backends' test modules: let pytest
# rewrite their asserts so failures show the values compared.
pytest.register_assert_rewrite("payproc.testing.suite")

if TYPE_CHECKING:
    from ..app import Payproc
    from .driver import Driver


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{REQUIRES_MARK}(*hooks): payproc conformance test needing these backend hooks")
    config.addinivalue_line(
        "markers", f"{NEEDS_MARK}(*features): payproc conformance test needing these simulation features")


@pytest.fixture(autouse=True)
def _payproc_requirements(request: pytest.FixtureRequest) -> None:
    """Skip a suite test whose needs the harness does not meet."""
    item = request.node
    if item.get_closest_marker(REQUIRES_MARK) is None and item.get_closest_marker(NEEDS_MARK) is None:
        return
    from .requirements import skip_reason

    reason = skip_reason(item, request.getfixturevalue("payproc_harness"))
    if reason is not None:
        pytest.skip(reason)


@pytest.fixture
def payproc_app(payproc_harness: Any, tmp_path: Path) -> Iterator[Payproc]:
    """A Payproc on a fresh database, talking to the harness's test server."""
    from .driver import make_app

    app = make_app(payproc_harness, tmp_path)
    yield app
    app.db.engine.dispose()


@pytest.fixture
def payproc_driver(payproc_app: Payproc, payproc_harness: Any) -> Driver:
    from .driver import Driver

    return Driver(payproc_app, payproc_harness)


@pytest.fixture
def payproc_settings_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory and no ``PAYPROC_*`` variables: a test
    sets the settings it means (``monkeypatch.setenv("PAYPROC_PROCESSOR__...")``
    or files in the returned directory) and nothing of the developer's leaks in."""
    import os

    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("PAYPROC_"):
            monkeypatch.delenv(name)
    return tmp_path
