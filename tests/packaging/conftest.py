"""The artifacts ``nox -s packaging`` built, for the packaging tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def dist_dir() -> Path:
    """Where ``nox -s packaging`` put each distribution's sdist and wheel
    (one sub-directory per source directory)."""
    value = os.environ.get("PAYPROC_DIST_DIR")
    if not value:
        pytest.skip("needs built artifacts: run `nox -s packaging` (PAYPROC_DIST_DIR)")
    return Path(value)
