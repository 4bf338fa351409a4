"""Reading a database's schema back: a fingerprint exact enough to tell two
schemas apart (DDL text on SQLite, the catalogs on PostgreSQL), and Alembic's
autogenerate comparison against the models."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.engine import Engine

from payproc.db.migrate import VERSION_TABLE


def fingerprint(engine: Engine, *, version_table: bool = False) -> list[tuple[Any, ...]]:
    """Every payproc table, column, index and constraint, with its name
    (payproc's version table only with ``version_table``)."""
    version = "" if version_table else VERSION_TABLE
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.execute(text(
                "SELECT type, name, tbl_name, sql FROM sqlite_master "
                "WHERE tbl_name LIKE 'payproc%' AND tbl_name != :version ORDER BY name"), {"version": version})
            return [tuple(row) for row in rows]
        columns = connection.execute(text(
            "SELECT table_name, ordinal_position, column_name, data_type, character_maximum_length, "
            "is_nullable, column_default FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name LIKE 'payproc%' AND table_name != :version "
            "ORDER BY table_name, ordinal_position"), {"version": version})
        constraints = connection.execute(text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text LIKE 'payproc%' "
            "AND conrelid::regclass::text != :version ORDER BY 1, 2"), {"version": version})
        indexes = connection.execute(text(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
            "AND tablename LIKE 'payproc%' AND tablename != :version ORDER BY 1, 2"), {"version": version})
        return [*map(tuple, columns), *map(tuple, constraints), *map(tuple, indexes)]


def differences(engine: Engine, metadata: MetaData | Sequence[MetaData]) -> list[Any]:
    """What ``alembic revision --autogenerate`` would write to turn the
    database into ``metadata`` (payproc's version table aside)."""

    def include_name(name: str | None, type_: str, _parents: Any) -> bool:
        return not (type_ == "table" and name == VERSION_TABLE)

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_name})
        return list(compare_metadata(context, metadata))


def empty_postgres(url: str) -> None:
    """Drop every table of the public schema (payproc's, Alembic's, an example app's)."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
