"""payproc 0.1's own models (main at commit f291d5e), read from git history.

A test that needs "the schema 0.1's create_all made" builds it with these,
not with a copy: the baseline revision is checked against the real thing.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import types
from pathlib import Path

import pytest

FIRST_RELEASE = "f291d5e"
ROOT = Path(__file__).resolve().parents[2]


def first_release_source(path: str) -> str:
    """``path`` as it was in the first release; fails (never skips) without the history."""
    try:
        return subprocess.run(["git", "-C", str(ROOT), "show", f"{FIRST_RELEASE}:{path}"],
                              check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.fail(f"cannot read {path} at the first release {FIRST_RELEASE} ({error}): the migration tests "
                    "need the git history (a full clone, not a shallow one: git fetch --unshallow)")


@functools.cache
def first_release_models() -> types.ModuleType:
    """0.1's ``payproc.db.models`` as a separate module (its own ``Base``)."""
    module = types.ModuleType("payproc_first_release_models")
    sys.modules[module.__name__] = module  # SQLAlchemy resolves the annotations through it
    exec(compile(first_release_source("core/src/payproc/db/models.py"), "models@f291d5e", "exec"), module.__dict__)
    return module
