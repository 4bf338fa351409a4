"""The revisions and the models describe the same schema, and the baseline is
exactly what payproc 0.1's ``create_all`` made."""

from __future__ import annotations

from migration_first_release import first_release_models
from migration_schema import differences, empty_postgres, fingerprint
from sqlalchemy import create_engine

from payproc.db import Database, migrate
from payproc.db.models import Base


def test_replaying_every_revision_gives_the_models_schema(db_url: str) -> None:
    database = Database(db_url)
    migrate.upgrade(database, replay=True)
    assert differences(database.engine, Base.metadata) == []
    database.dispose()


def test_an_empty_database_is_built_from_the_models_and_stamped_at_head(db_url: str) -> None:
    database = Database(db_url)
    before = migrate.upgrade(database)
    assert before.empty
    assert differences(database.engine, Base.metadata) == []
    with database.engine.connect() as connection:
        assert migrate.schema_state(connection).current == migrate.head()
    database.dispose()


def test_the_baseline_is_exactly_the_first_release_schema(db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Same DDL text on SQLite, same columns, constraint names and index
    definitions on PostgreSQL: a 0.1 database stamped at the baseline is
    described faithfully."""
    old = create_engine(db_url)
    first_release_models().Base.metadata.create_all(old)
    made_by_first_release = fingerprint(old)
    old.dispose()
    if db_url.startswith("sqlite"):
        db_url = f"sqlite:///{tmp_path}/baseline.sqlite3"
    else:
        empty_postgres(db_url)
    database = Database(db_url)
    migrate.upgrade(database, migrate.BASELINE, replay=True)
    assert fingerprint(database.engine) == made_by_first_release
    database.dispose()


def test_the_version_table_of_an_empty_database_is_alembics(db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The fast path writes payproc_alembic_version itself (no Alembic
    import); it is the table Alembic makes when it runs the revisions."""
    database = Database(db_url)
    migrate.upgrade(database)
    fast = [row for row in fingerprint(database.engine, version_table=True) if migrate.VERSION_TABLE in str(row)]
    database.dispose()
    if db_url.startswith("sqlite"):
        db_url = f"sqlite:///{tmp_path}/replayed.sqlite3"
    else:
        empty_postgres(db_url)
    replayed = Database(db_url)
    migrate.upgrade(replayed, replay=True)
    assert fast and fast == [row for row in fingerprint(replayed.engine, version_table=True)
                             if migrate.VERSION_TABLE in str(row)]
    replayed.dispose()
