"""payproc 0.1's own models (main at commit f291d5e), read from git history.

A test that needs "the schema 0.1's create_all made" builds it with these,
not with a copy: the baseline revision is checked against the real thing.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import types
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

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


def make_first_release_database(url: str) -> None:
    """Tables by 0.1's create_all, a few rows through 0.1's models."""
    old = first_release_models()
    engine = create_engine(url)
    old.Base.metadata.create_all(engine)
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    with Session(engine) as session, session.begin():
        acme = old.Profile(slug="acme", printable_name="Acme", created_at=now)
        alice = old.Profile(slug="alice", printable_name="Alice", created_at=now)
        session.add_all([acme, alice])
        session.flush()
        charge = old.ChargeRow(idempotency_key="key-1", customer_id=alice.id, provider_id=acme.id, amount=2000,
                               currency="usd", state="done", processor_key="ch_1", created_at=now, updated_at=now)
        session.add(charge)
        session.flush()
        session.add(old.LedgerRow(orig_profile_id=alice.id, orig_account="Payable", orig_amount=2000,
                                  orig_unit="usd", dest_profile_id=acme.id, dest_account="Funds", dest_amount=2000,
                                  dest_unit="usd", charge_id=charge.id, created_at=now))
    engine.dispose()
