"""On SQLite, what only reads takes no lock: listing charges, the books, a
customer's renewal and the schema check go on while a checkout holds the
write lock, and work on a database file opened read-only (a copy for
reporting, a replica). Writes keep ``BEGIN IMMEDIATE``."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from coreapp import make_app
from sqlalchemy.exc import OperationalError

from payproc.app import Payproc
from payproc.settings import load_settings


def _open(url: str) -> Payproc:
    """An app on an existing database, as a reporting job opens it: nothing
    written, the schema checked on first use."""
    return Payproc(load_settings(DATABASE_URL=url, PROCESSOR={"BACKEND": "fake"}))


def _database_file(app: Payproc) -> str:
    database = app.db.engine.url.database
    assert database
    return database


def _reads(app: Payproc, charge_id: int) -> dict[str, Any]:
    return {
        "states": [charge.state for charge in app.list_charges()],
        "charge": app.get_charge(charge_id).amount,
        "balanced": app.check_books().balanced,
        "renewal": app.renewal("alice"),
    }


def _in_thread(read: Callable[[], dict[str, Any]]) -> tuple[threading.Thread, dict[str, Any]]:
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result.update(read())
        except Exception as error:  # reported by the test, not lost in the thread
            result["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def test_reads_do_not_wait_for_the_write_lock(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path}/payproc.sqlite3")
    app.add_profile("alice")
    charge = app.checkout("alice", 2000, "usd", "tok_visa")
    app.set_renewal("alice", 1500, "usd", date(2024, 5, 31))
    fresh = _open(f"sqlite:///{tmp_path}/payproc.sqlite3")  # its first use checks the schema too
    writer = sqlite3.connect(_database_file(app), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a checkout in another process holds the write lock
    writer.execute("UPDATE payproc_profile SET printable_name = 'Alice M.' WHERE slug = 'alice'")
    try:
        thread, result = _in_thread(lambda: _reads(fresh, charge.id))
        # Before: every read began BEGIN IMMEDIATE and waited for the lock
        # (busy_timeout, 30 s), then failed with "database is locked".
        thread.join(timeout=20)
        assert not thread.is_alive(), "a read waited for the write lock"
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert "error" not in result, result.get("error")
    assert result["states"] == ["done"] and result["charge"] == 2000 and result["balanced"]
    assert result["renewal"].amount == 1500
    for application in (app, fresh):
        application.db.dispose()


def test_a_read_only_file_can_be_read_and_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "payproc.sqlite3"
    app = make_app(f"sqlite:///{path}")
    app.add_profile("alice")
    charge = app.checkout("alice", 2000, "usd", "tok_visa")
    app.db.dispose()

    reader = _open(f"sqlite:///file:{path}?mode=ro&uri=true")
    assert [c.state for c in reader.list_charges()] == ["done"]
    assert reader.get_charge(charge.id).amount == 2000
    assert reader.check_books().balanced
    with pytest.raises(OperationalError, match="readonly"):
        reader.checkout("alice", 500, "usd", "tok_visa")
    reader.db.dispose()

    after = _open(f"sqlite:///{path}")
    assert [c.amount for c in after.list_charges()] == [2000]  # the refused write left nothing
    after.db.dispose()
