"""A database that payproc 0.1 created is stamped at the baseline and
upgraded in place; its rows stay; running the upgrade again changes nothing."""

from __future__ import annotations

from migration_first_release import make_first_release_database
from migration_schema import differences, fingerprint
from sqlalchemy import func, inspect, select

from payproc.db import ChargeRow, Database, LedgerRow, Profile, migrate
from payproc.db.models import Base


def test_a_first_release_database_is_stamped_then_upgraded_and_keeps_its_rows(db_url: str) -> None:
    make_first_release_database(db_url)
    database = Database(db_url)
    before = migrate.upgrade(database)
    assert before.first_release and before.current is None
    with database.engine.connect() as connection:
        assert migrate.schema_state(connection).current == migrate.head()
    assert differences(database.engine, Base.metadata) == []
    with database.transaction() as session:
        assert session.scalars(select(Profile.slug).order_by(Profile.slug)).all() == ["acme", "alice"]
        charge = session.scalars(select(ChargeRow)).one()
        assert (charge.idempotency_key, charge.amount, charge.currency, charge.state, charge.processor_key) == (
            "key-1", 2000, "usd", "done", "ch_1")
        assert session.scalar(select(func.count()).select_from(LedgerRow)) == 1
    database.dispose()


def test_upgrading_twice_changes_nothing(db_url: str) -> None:
    make_first_release_database(db_url)
    database = Database(db_url)
    migrate.upgrade(database)
    schema = fingerprint(database.engine)
    again = migrate.upgrade(database)
    assert again.up_to_date and not again.first_release
    assert fingerprint(database.engine) == schema
    database.dispose()


def test_init_db_creates_an_empty_database_under_alembic(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from payproc.app import Payproc

    url = f"sqlite:///{tmp_path}/app.sqlite3"
    app = Payproc(DATABASE_URL=url, PROCESSOR={"BACKEND": "fake"})
    app.init_db()
    app.init_db()
    assert migrate.VERSION_TABLE in inspect(app.db.engine).get_table_names()
    with app.db.engine.connect() as connection:
        assert migrate.schema_state(connection).up_to_date
    app.db.dispose()
