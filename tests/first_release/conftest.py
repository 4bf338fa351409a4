"""The first release's interpreter, which ``nox -s migrations`` prepares."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

VARIABLE = "PAYPROC_FIRST_RELEASE_PYTHON"


@pytest.fixture(scope="session")
def first_release_python() -> str:
    """A Python with payproc 0.1 and payproc-fake 0.1 (commit f291d5e)
    installed: ``nox -s migrations`` builds it and sets
    PAYPROC_FIRST_RELEASE_PYTHON. Unset, the test is skipped on a developer's
    machine and fails in CI."""
    python = os.environ.get(VARIABLE, "").strip()
    if not python:
        if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
            pytest.fail(f"{VARIABLE} is not set in CI: run these tests with `nox -s migrations`")
        pytest.skip(f"{VARIABLE} is not set: run `nox -s migrations`")
    if not Path(python).exists():
        pytest.fail(f"{VARIABLE}={python} does not exist")
    return python


# The schema helpers of tests/migrations (fingerprint, autogenerate comparison).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "migrations"))
