"""The database connection, and the two things that make concurrent
payments safe on it.

* SQLite: write transactions start with ``BEGIN IMMEDIATE``, so two writers
  never interleave read-then-write (the default deferred transactions can
  both read a stale row and then one fails or, worse, both act). Reads
  (:meth:`Database.reading`) begin deferred: a snapshot that takes no lock,
  so listing charges never waits for a checkout, nor needs write access to
  the file. WAL journal with ``synchronous=NORMAL``: a commit survives a
  crash of the application.
* PostgreSQL (psycopg 3): rows are locked with ``SELECT … FOR UPDATE`` and a
  charge's processor key with a transaction-scoped advisory lock, so a webhook
  and the checkout that created the charge never miss each other.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from .models import Base, Profile

__all__ = ["Database"]

#: The execution option of the connections that only read (``BEGIN`` instead
#: of ``BEGIN IMMEDIATE`` on SQLite).
READING = "payproc_reading"


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN" if connection.get_execution_options().get(READING) else "BEGIN IMMEDIATE")


class Database:
    """An engine and a session factory for ``url``."""

    def __init__(self, url: str, **engine_options: Any) -> None:
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        options: dict[str, Any] = {"future": True}
        if self.is_sqlite:
            options["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            options["pool_pre_ping"] = True
        options.update(engine_options)
        self.engine = create_engine(url, **options)
        if self.is_sqlite:
            _sqlite_setup(self.engine)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        #: the same pool, for connections that only read (see :meth:`reading`)
        self.reading_engine = self.engine.execution_options(**{READING: True})
        self._reading_sessionmaker = sessionmaker(self.reading_engine, expire_on_commit=False)
        #: set once the schema is known to match the installed code (first use)
        self.schema_checked = False

    def __repr__(self) -> str:
        return f"<Database {self.engine.url.render_as_string(hide_password=True)!r}>"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on
        any exception. The first one checks the schema (one query): a
        database behind the installed code raises DatabaseOutOfDate, saying
        what to run, instead of failing later on a missing column."""
        if not self.schema_checked:
            self.check_schema()
        with self.sessionmaker() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only (the charges list, the books, the
        schema check). On SQLite its transaction begins deferred, a snapshot
        that takes no lock: it neither waits for nor blocks a checkout
        holding the write lock, and works on a file opened read-only. Never
        write in it: a write would have to upgrade the lock mid-transaction,
        which is what ``BEGIN IMMEDIATE`` is there to avoid."""
        if not self.schema_checked:
            self.check_schema()
        with self._reading_sessionmaker() as session, session.begin():
            yield session

    def lock_key(self, session: Session, key: str) -> None:
        """Serialize transactions about the same processor key (PostgreSQL
        advisory lock; SQLite already serializes writers)."""
        if not self.is_sqlite:
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(key.encode())})

    def for_update(self, statement: Any) -> Any:
        return statement if self.is_sqlite else statement.with_for_update()

    def check_schema(self) -> None:
        """Raise DatabaseOutOfDate if the schema is behind the installed code
        (see payproc.db.migrate.verify); done once per Database."""
        from .migrate import verify

        verify(self)
        self.schema_checked = True

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema to ``revision`` with payproc's Alembic migrations
        (payproc.db.migrate): creates an empty database, stamps and upgrades
        one that payproc 0.1 created, and is a no-op when already there."""
        from .migrate import upgrade

        upgrade(self, revision)
        self.schema_checked = False  # checked again on first use: cheap, and right after a partial upgrade

    def create_all(self) -> None:
        """The tables at the head revision (kept for 0.1's callers): the same
        as :meth:`upgrade`, so the result is always under Alembic."""
        self.upgrade()

    def drop_all(self) -> None:
        """Drop payproc's tables and its version table (tests, demos)."""
        from .migrate import VERSION_TABLE

        with self.engine.begin() as connection:
            Base.metadata.drop_all(connection)
            connection.execute(text(f"DROP TABLE IF EXISTS {VERSION_TABLE}"))

    def ensure_profile(self, session: Session, slug: str, *, pk: int | None = None, **fields: Any) -> Profile:
        """The profile ``slug`` (created if missing)."""
        profile = session.scalar(select(Profile).where(Profile.slug == slug))
        if profile is None:
            profile = Profile(slug=slug, **fields)
            if pk is not None:
                profile.id = pk
            session.add(profile)
            session.flush()
            if pk is not None and not self.is_sqlite:
                # an explicit id does not advance PostgreSQL's sequence
                session.execute(text(
                    "SELECT setval(pg_get_serial_sequence('payproc_profile', 'id'), "
                    "(SELECT MAX(id) FROM payproc_profile))"))
        return profile

    def dispose(self) -> None:
        self.engine.dispose()
