"""A database that payproc 0.1 filled, upgraded in place by this payproc.

payproc 0.1 (commit f291d5e, its own venv) makes the data through its public
API (make_first_release_data.py); then, on SQLite and on PostgreSQL, this
code upgrades the database to the head revision and checks that every row
and every 0.1 column is still there, the schema is the models', the books
balance, a second upgrade changes nothing, and the new code settles and
refunds the charges 0.1 left.
"""

from __future__ import annotations

import dataclasses
import pickle
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from make_first_release_data import ACCOUNT, WEBHOOK_SECRET
from migration_schema import differences, empty_postgres, fingerprint
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine

from payproc.app import Payproc
from payproc.db import migrate
from payproc.db.models import Base
from payproc.settings import load_settings

SCRIPT = Path(__file__).with_name("make_first_release_data.py")

Snapshot = dict[str, list[tuple[Any, ...]]]


def snapshot(engine: Engine, columns: dict[str, list[str]]) -> Snapshot:
    """Every row of every 0.1 table, with 0.1's columns, as the database returns them."""
    with engine.connect() as connection:
        return {table: [tuple(row) for row in connection.execute(text(
            f"SELECT {', '.join(names)} FROM {table} ORDER BY id"))] for table, names in columns.items()}


@pytest.fixture(params=["sqlite", "postgres"])
def first_release_db(request: pytest.FixtureRequest, tmp_path: Path, first_release_python: str) -> Iterator[str]:
    """A database created and filled by payproc 0.1; the simulated processor's
    account it used is saved next to it (``processor.pickle``)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/first-release.sqlite3"
    else:
        url = request.getfixturevalue("postgres_url")
        empty_postgres(url)
    made = subprocess.run([first_release_python, str(SCRIPT), url, str(tmp_path / "processor.pickle")],
                          capture_output=True, text=True)
    assert made.returncode == 0, f"payproc 0.1 could not make the data:\n{made.stdout}\n{made.stderr}"
    yield url


def restore_processor(state_file: Path) -> Any:
    """The simulated processor's account as 0.1 left it: a real processor
    keeps its records while the application is upgraded."""
    from payproc_fake import processor

    with state_file.open("rb") as saved:
        state = pickle.load(saved)
    processor.reset(ACCOUNT)
    account = processor.get_account(ACCOUNT)
    for name, value in state.items():
        setattr(account, name, value)
        _complete_records(value)
    return account


def _complete_records(value: Any) -> None:
    """Bring records pickled by 0.1's fake to today's fake's shape, as the
    processor's own storage would: 0.1 kept one dispute per charge
    (``Charge.dispute``), today's fake a list (``Charge.disputes``); fields
    added since get their defaults."""
    if isinstance(value, dict):
        for item in value.values():
            _complete_records(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _complete_records(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = {field.name for field in dataclasses.fields(value)}
        if "dispute" in vars(value) and "dispute" not in names and "disputes" in names:
            dispute = vars(value).pop("dispute")
            vars(value)["disputes"] = [dispute] if dispute is not None else []
        for field in dataclasses.fields(value):
            if field.name not in vars(value):
                if field.default_factory is not dataclasses.MISSING:
                    setattr(value, field.name, field.default_factory())
                elif field.default is not dataclasses.MISSING:
                    setattr(value, field.name, field.default)
            _complete_records(getattr(value, field.name, None))


def test_a_first_release_database_upgrades_in_place(first_release_db: str, tmp_path: Path) -> None:
    old = create_engine(first_release_db)
    assert not inspect(old).has_table(migrate.VERSION_TABLE)
    columns = {table: [column["name"] for column in inspect(old).get_columns(table)]
               for table in sorted(migrate.FIRST_RELEASE_TABLES)}
    before = snapshot(old, columns)
    old.dispose()
    assert all(before.values()), {table: len(rows) for table, rows in before.items()}

    app = Payproc(load_settings(DATABASE_URL=first_release_db, PROCESSOR={
        "BACKEND": "fake", "ACCOUNT": ACCOUNT, "WEBHOOK_SECRET": WEBHOOK_SECRET}))
    account = restore_processor(tmp_path / "processor.pickle")
    state = migrate.upgrade(app.db)
    assert state.first_release
    with app.db.engine.connect() as connection:
        assert migrate.schema_state(connection).up_to_date

    # every row and every column 0.1 wrote is still there; the schema is the models'
    assert snapshot(app.db.engine, columns) == before
    assert differences(app.db.engine, Base.metadata) == []
    # upgrading again (and init_db, which upgrades) changes nothing
    schema = fingerprint(app.db.engine)
    assert migrate.upgrade(app.db).up_to_date
    app.init_db()
    assert fingerprint(app.db.engine) == schema
    assert snapshot(app.db.engine, columns) == before
    assert app.check_books().balanced

    charges = {charge.idempotency_key: charge for charge in app.list_charges(limit=1000)}
    assert {charge.state for charge in charges.values()} == {"created", "done", "failed", "disputed", "lost"}
    # the charges 0.1 left in progress are settled by asking the processor
    settled = {charge.idempotency_key: charge.state for charge in app.settle().charges}
    assert settled == {"fr-created-made": "done", "fr-created-lost": "failed"}
    # old charges are refunded by the new code, in full and what is left of a partial one
    for key in ("fr-done", "fr-refunded", "fr-created-made"):
        app.refund(charges[key].id)
        charge = app.get_charge(charges[key].id)
        assert charge.amount_left == 0
        assert account.retrieve_charge(charge.processor_key).amount_refunded == charge.amount
    # the dispute 0.1 saw open is closed by the new code
    app.handle_webhook(*account.close_dispute(charges["fr-disputed"].processor_key, won=True))
    assert app.get_charge(charges["fr-disputed"].id).state == "done"
    # and the card 0.1 kept on file still pays
    assert app.checkout("alice", 900, "usd", provider="cowork").state == "done"
    assert app.check_books().balanced
    app.db.dispose()


def test_the_script_runs_on_the_first_release(first_release_python: str) -> None:
    """The data really comes from 0.1: its interpreter has 0.1's payproc,
    which has no migrations package."""
    probe = subprocess.run([first_release_python, "-c", "import importlib.util, payproc; "
                            "print(importlib.util.find_spec('payproc.db.migrations') is None)"],
                           capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == "True"
