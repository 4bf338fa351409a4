"""An application that runs its own Alembic environment includes payproc's
revisions (branch ``payproc``, ``version_locations``): the example in
examples/alembic-app, upgraded with ``alembic upgrade heads``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from migration_schema import differences
from sqlalchemy import create_engine, inspect, text

from payproc.app import Payproc
from payproc.db import migrate
from payproc.db.models import Base
from payproc.errors import DatabaseOutOfDate

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "alembic-app"


@pytest.fixture
def app_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Config]:
    """The example's alembic.ini, pointed at the test database."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("PAYPROC_PROCESSOR__BACKEND", "fake")
    monkeypatch.setattr(sys, "path", list(sys.path))  # prepend_sys_path adds the example's directory
    yield Config(str(EXAMPLE / "alembic.ini"))
    sys.modules.pop("shop_models", None)


def heads_in(url: str) -> set[str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        heads = set(MigrationContext.configure(connection).get_current_heads())
    engine.dispose()
    return heads


def test_alembic_upgrade_heads_runs_payproc_and_the_application(app_env: Config, db_url: str) -> None:
    command.upgrade(app_env, "heads")
    assert heads_in(db_url) == {"shop_0001", migrate.head()}
    engine = create_engine(db_url)
    tables = set(inspect(engine).get_table_names())
    assert {"shop_order", "payproc_charge", "alembic_version"} <= tables
    assert migrate.VERSION_TABLE not in tables  # payproc's revision is in the application's table
    from shop_models import metadata as shop_metadata

    # what the application's autogenerate would see: nothing to write
    assert differences(engine, [shop_metadata, Base.metadata]) == []

    # payproc sees the application manages its schema, and works on it
    with engine.connect() as connection:
        state = migrate.schema_state(connection)
    assert state.managed_by_app and state.up_to_date
    app = Payproc(DATABASE_URL=db_url)
    app.init_db()  # the profiles; no revision written anywhere
    assert not inspect(engine).has_table(migrate.VERSION_TABLE)
    app.add_profile("alice", "Alice")
    charge = app.checkout("alice", 2000, "usd", "tok_visa")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO shop_order (customer_id, charge_id, total, currency) "
                                "SELECT customer_id, id, amount, currency FROM payproc_charge WHERE id = :id"),
                           {"id": charge.id})
    assert heads_in(db_url) == {"shop_0001", migrate.head()}
    command.upgrade(app_env, "heads")  # again: nothing to do
    assert heads_in(db_url) == {"shop_0001", migrate.head()}
    engine.dispose()


@pytest.mark.parametrize("target", ["payproc@0001_baseline", "shop@head"])
def test_payproc_behind_in_the_application_environment_says_to_run_alembic(app_env: Config, db_url: str,
                                                                           target: str) -> None:
    """payproc's revision recorded behind the head, or only implied by the
    application's revision (shop_0001 depends on the baseline, so Alembic
    records shop_0001 alone): refused with what to run, nothing written."""
    command.upgrade(app_env, target)
    recorded = heads_in(db_url)
    assert recorded == ({migrate.BASELINE} if target.startswith("payproc") else {"shop_0001"})
    with pytest.raises(DatabaseOutOfDate, match="alembic upgrade heads"):
        Payproc(DATABASE_URL=db_url).list_charges()
    with pytest.raises(DatabaseOutOfDate, match="alembic upgrade heads"):
        Payproc(DATABASE_URL=db_url).init_db()  # payproc never writes the application's version table
    assert heads_in(db_url) == recorded and not inspect(create_engine(db_url)).has_table(migrate.VERSION_TABLE)
    command.upgrade(app_env, "heads")
    assert Payproc(DATABASE_URL=db_url).list_charges() == []


def test_a_first_release_database_beside_an_environment_without_payproc(db_url: str,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """payproc 0.1's tables in a database whose alembic_version belongs to an
    application environment that leaves payproc out: init_db() does not guess,
    `payproc db upgrade` upgrades under payproc's own version table and never
    touches the application's."""
    from migration_first_release import make_first_release_database

    from payproc.cli import main

    make_first_release_database(db_url)
    engine = create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('their_0007')"))
    with pytest.raises(DatabaseOutOfDate, match=r"their_0007.*run `payproc db upgrade`"):
        Payproc(DATABASE_URL=db_url, PROCESSOR={"BACKEND": "fake"}).init_db()
    assert not inspect(engine).has_table(migrate.VERSION_TABLE)
    assert main(["db", "upgrade", "--database-url", db_url]) == 0
    assert f"-> {migrate.head()}" in capsys.readouterr().out
    assert heads_in(db_url) == {"their_0007"}
    with engine.connect() as connection:
        assert migrate.schema_state(connection).up_to_date
    assert differences(engine, Base.metadata) == []
    engine.dispose()


def test_payproc_implied_at_the_head_by_the_application_is_used_as_is(app_env: Config, db_url: str) -> None:
    """An application revision that depends on payproc's head leaves only
    the application's revision in alembic_version: payproc's columns are all
    there, so payproc works and writes no revision anywhere."""
    command.upgrade(app_env, "heads")
    engine = create_engine(db_url)
    with engine.begin() as connection:  # what Alembic records when shop's head depends on payproc's
        connection.execute(text("DELETE FROM alembic_version WHERE version_num = :head"), {"head": migrate.head()})
    app = Payproc(DATABASE_URL=db_url)
    app.init_db()
    assert app.list_charges() == []
    assert heads_in(db_url) == {"shop_0001"} and not inspect(engine).has_table(migrate.VERSION_TABLE)
    engine.dispose()
