"""Bringing a database to the schema the installed payproc expects, with
Alembic (payproc's revisions live in ``payproc/db/migrations``).

Three kinds of database reach :func:`upgrade`:

* an empty one: the tables are created from the models and stamped at the
  head revision in one transaction. That is the same schema the revisions
  build (tests/migrations proves it with Alembic's autogenerate comparison on
  SQLite and PostgreSQL) and it costs one ``create_all`` instead of replaying
  every revision, which matters to test suites that create many databases;
* one that payproc 0.1 created (payproc tables, no ``alembic_version``): it is
  stamped at ``0001_baseline`` — its schema is exactly that revision's — and
  then upgraded;
* one under Alembic: the missing revisions run.

payproc records its revision in its own table, ``payproc_alembic_version``.
An application whose own Alembic environment includes payproc's branch
(docs/migrations.md) records it in ``alembic_version`` instead; then that
environment runs the upgrades and payproc only checks that it did.

An upgrade is one transaction (DDL and data moves together). On SQLite,
foreign keys are switched off for it, as batch mode's table copies need, and
``PRAGMA foreign_key_check`` must come back empty before it commits; on
PostgreSQL an advisory lock keeps two processes from upgrading at once.

Alembic is imported here only, and only when something has to migrate:
``payproc backends``, a plain import of payproc, creating an empty database
and using one at the head never load it.
"""

from __future__ import annotations

import functools
import logging
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, MetaData, PrimaryKeyConstraint, String, Table, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from ..errors import ConfigurationError, DatabaseOutOfDate
from .migrations import BASELINE, BRANCH, SCRIPT_LOCATION, revision_graph
from .models import Base

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from .engine import Database

__all__ = ["DatabaseNewerWarning", "SchemaState", "current", "downgrade", "head", "schema_state", "upgrade",
           "verify"]

logger = logging.getLogger(__name__)


class DatabaseNewerWarning(UserWarning):
    """The database was upgraded by a newer payproc than the one running."""

#: payproc's own version table: an application's Alembic environment keeps
#: ``alembic_version`` to itself, so payproc never writes a revision there that
#: the application's scripts do not know.
VERSION_TABLE = "payproc_alembic_version"
#: Alembic's default version table: where an application environment that
#: includes payproc's branch (``version_locations``) records payproc's revision.
APP_VERSION_TABLE = "alembic_version"
#: pg_advisory_xact_lock key: one payproc migration at a time per database.
_PG_LOCK = 0x70617970  # "payp"
#: The tables payproc 0.1 created; their presence without a version table
#: means "created by 0.1's create_all".
FIRST_RELEASE_TABLES = frozenset({
    "payproc_profile", "payproc_charge", "payproc_refund", "payproc_dispute",
    "payproc_transfer", "payproc_webhook_event", "payproc_ledger",
})


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for payproc's own environment (no ini file)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def script_directory() -> ScriptDirectory:
    """payproc's revisions as Alembic sees them, parsed once per process."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The revision the installed code expects (payproc's branch has one head)."""
    return revision_graph().head


def known_revisions() -> frozenset[str]:
    return frozenset(revision_graph().parents)


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands. ``current`` is payproc's revision in it (None:
    not under Alembic). ``managed_by_app``: the revision is in an
    application's own ``alembic_version`` (its environment includes payproc's
    branch and runs the upgrades)."""

    current: str | None
    head: str
    payproc_tables: frozenset[str]
    managed_by_app: bool = False
    #: revisions in the database that the installed payproc does not know: a
    #: newer payproc upgraded it.
    newer: tuple[str, ...] = ()
    #: payproc tables behind the models, no payproc revision anywhere, and
    #: these application revisions in ``alembic_version``: payproc will not
    #: guess whose schema it is (see ``problem``).
    undecided: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return self.current is None and not self.payproc_tables

    @property
    def first_release(self) -> bool:
        """Made by payproc 0.1's ``create_all``: tables, no revision."""
        return self.current is None and bool(self.payproc_tables)

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head

    def advice(self) -> str:
        """What to run to bring the database up to date."""
        if self.managed_by_app:
            return "run `alembic upgrade heads` in your application's Alembic environment"
        return "run `payproc db upgrade`"

    def problem(self) -> str | None:
        """What is wrong with the database for the installed code, in one
        sentence that says what to run; None when it is at the head."""
        if self.newer:
            return (f"the database schema is at {', '.join(self.newer)}, which the installed payproc does not "
                    f"know (it expects {self.head}): a newer payproc upgraded it; upgrade payproc")
        if self.empty:
            return "the database has no payproc tables: run `payproc db init` (or Payproc.init_db())"
        if self.undecided:
            return (f"payproc's tables are behind the installed payproc ({self.head}) and alembic_version lists "
                    f"only your application's revisions ({', '.join(self.undecided)}): if your Alembic "
                    "environment includes payproc's revisions, run `alembic upgrade heads` there; if it does "
                    "not (payproc 0.1 made these tables), run `payproc db upgrade`")
        if self.up_to_date:
            return None
        return (f"the database schema is at {self.current or 'payproc 0.1 (no revision)'}, the installed "
                f"payproc needs {self.head}: {self.advice()}")

    def out_of_date(self) -> DatabaseOutOfDate:
        return DatabaseOutOfDate(self.problem() or f"the database schema is at {self.head}")


def _versions(connection: Connection, table: str) -> list[str]:
    return [row[0] for row in connection.execute(text(f"SELECT version_num FROM {table}"))]


def schema_state(connection: Connection) -> SchemaState:
    """Where ``connection``'s database stands (the table list, then one query
    for the version rows)."""
    inspector = inspect(connection)
    found = inspector.get_table_names()
    tables = frozenset(name for name in found if name.startswith("payproc_") and name != VERSION_TABLE)
    managed_by_app = False
    undecided: tuple[str, ...] = ()
    if VERSION_TABLE in found:
        rows = _versions(connection, VERSION_TABLE)
    elif APP_VERSION_TABLE in found:
        everything = _versions(connection, APP_VERSION_TABLE)
        rows = [rev for rev in everything if rev in known_revisions()]
        managed_by_app = bool(rows)
        if everything and not rows and tables:
            # Only the application's revisions: either its environment leaves
            # payproc out (payproc 0.1 made these tables), or it includes
            # payproc's branch and records payproc's revision only through
            # an application revision's depends_on. Alembic's table cannot
            # tell; the columns can say "at the head" (nothing to do).
            if _has_every_model_column(inspector, tables):
                return SchemaState(current=head(), head=head(), payproc_tables=tables, managed_by_app=True)
            undecided = tuple(everything)
    else:
        rows = []
    newer = tuple(rev for rev in rows if rev not in known_revisions())
    if len(rows) > 1:
        raise ConfigurationError(f"the database lists several payproc revisions ({', '.join(rows)}): "
                                 "its version table is damaged")
    return SchemaState(current=rows[0] if rows and not newer else None, head=head(), payproc_tables=tables,
                       managed_by_app=managed_by_app, newer=newer, undecided=undecided)


def _has_every_model_column(inspector: Any, tables: frozenset[str]) -> bool:
    for table in Base.metadata.sorted_tables:
        if table.name not in tables:
            return False
        if set(table.columns.keys()) - {column["name"] for column in inspector.get_columns(table.name)}:
            return False
    return True


def verify(database: Database) -> SchemaState | None:
    """Check, on the database's first use, that its schema is the one the
    installed code expects: one query when it is (None is returned), a
    closer look when it is not. Behind (or empty): DatabaseOutOfDate, with
    what to run, instead of a SQL error later. Newer (a newer payproc
    upgraded it, e.g. during a rolling deploy): a warning, and the state."""
    try:
        with database.reading_engine.connect() as connection:
            if _versions(connection, VERSION_TABLE) == [head()]:
                return None
    except DBAPIError:
        pass  # no payproc version table: 0.1, empty, or an application's environment
    with database.reading_engine.connect() as connection:
        state = schema_state(connection)
    problem = state.problem()
    if problem is None:
        return state
    if state.newer:
        logger.warning("%s", problem)
        warnings.warn(problem, DatabaseNewerWarning, stacklevel=4)
        return state
    raise DatabaseOutOfDate(problem)


@contextmanager
def migration_transaction(database: Database) -> Iterator[Connection]:
    """A connection in a transaction fit for migrations (see the module docstring)."""
    with database.engine.connect() as connection:
        raw: Any = connection.connection.driver_connection if database.is_sqlite else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")  # before BEGIN: inside a transaction it is ignored
        try:
            with connection.begin():
                if not database.is_sqlite:
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
                yield connection
                if raw is not None:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise ConfigurationError(
                            f"the migration left {len(broken)} row(s) whose foreign key points nowhere "
                            f"(first: {tuple(broken[0])}); nothing was changed")
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


@functools.cache
def _version_table() -> Table:
    """payproc_alembic_version as Alembic creates it (alembic.ddl.impl:
    ``version_num VARCHAR(32) NOT NULL``, primary key ``<table>_pkc``).
    Stamping an empty database through it instead of through Alembic keeps
    Alembic out of the process when nothing has to migrate (its import is
    most of a first ``init_db()``); tests/migrations compares the two."""
    return Table(VERSION_TABLE, MetaData(), Column("version_num", String(32), nullable=False),
                 PrimaryKeyConstraint("version_num", name=f"{VERSION_TABLE}_pkc"))


def _stamp(connection: Connection, revision: str) -> None:
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    context.stamp(script_directory(), revision)


def upgrade(database: Database, revision: str = "head", *, replay: bool = False,
            decide: bool = False) -> SchemaState:
    """Upgrade ``database`` to ``revision`` (default: the head); return the
    state it was in before. Running it again is a no-op. ``replay``: build an
    empty database by running every revision instead of from the models
    (the tests compare both). ``decide``: a database whose payproc tables
    payproc cannot place (SchemaState.undecided) is taken as made by payproc
    0.1 and upgraded under payproc's own version table — what an explicit
    ``payproc db upgrade`` means; ``init_db()`` never guesses."""
    with migration_transaction(database) as connection:
        state = schema_state(connection)
        if state.undecided and not decide:
            raise state.out_of_date()
        if state.newer or (state.managed_by_app and not state.up_to_date):
            raise state.out_of_date()
        if state.managed_by_app:
            return state
        if state.empty and not replay and revision in ("head", state.head, f"{BRANCH}@head"):
            Base.metadata.create_all(connection)
            _version_table().create(connection)
            connection.execute(_version_table().insert().values(version_num=state.head))
            return state
        if state.first_release:
            missing = FIRST_RELEASE_TABLES - state.payproc_tables
            if missing:
                raise ConfigurationError(
                    f"the database has payproc tables but not {', '.join(sorted(missing))} and no "
                    f"{VERSION_TABLE} table: it was not made by payproc; nothing was changed")
            _stamp(connection, BASELINE)
        elif state.current == revision or (state.up_to_date and revision in ("head", f"{BRANCH}@head")):
            return state
        elif state.current is not None:
            _refuse_going_down(state.current, revision)
        from alembic import command

        with _alembic_errors("upgrade", state.current):
            command.upgrade(alembic_config(connection), revision)
        return state


def _below(revision: str, current: str) -> bool:
    """Whether ``revision`` is an ancestor of ``current`` in payproc's graph."""
    parents = revision_graph().parents
    pending, seen = list(parents.get(current, ())), set()
    while pending:
        parent = pending.pop()
        if parent == revision:
            return True
        if parent not in seen:
            seen.add(parent)
            pending.extend(parents.get(parent, ()))
    return False


def _refuse_going_down(current: str, revision: str) -> None:
    """``payproc db upgrade`` to a revision below the database's: an error
    saying which command goes there (Alembic would do nothing, silently)."""
    if revision in ("head", "heads", f"{BRANCH}@head") or revision[:1] in "+-":
        return
    with _alembic_errors("upgrade", current):
        target = script_directory().get_revision(revision)
    if target is not None and target.revision != current and _below(target.revision, current):
        raise ConfigurationError(
            f"cannot upgrade to {target.revision}: the database is at {current}, and `payproc db upgrade` only "
            f"goes up (`payproc db downgrade {target.revision}` goes the other way)")


def downgrade(database: Database, revision: str) -> SchemaState:
    """Downgrade ``database`` to ``revision`` (an id, ``-1``…) in one
    transaction; return the state before. A revision that cannot be undone
    raises IrreversibleMigration and nothing changes."""
    with migration_transaction(database) as connection:
        state = schema_state(connection)
        if state.newer or state.managed_by_app:
            raise ConfigurationError(
                state.problem() if state.newer else
                "payproc's schema is managed by your application's Alembic environment: downgrade it there")
        if state.current is None:
            raise ConfigurationError("the database is not under payproc's migrations: nothing to downgrade "
                                     "(`payproc db upgrade` puts it under them)")
        from alembic import command

        with _alembic_errors("downgrade", state.current):
            command.downgrade(alembic_config(connection), revision)
        return state


def current(database: Database) -> SchemaState:
    """Where ``database`` stands (no change)."""
    with database.reading_engine.connect() as connection:
        return schema_state(connection)


@contextmanager
def _alembic_errors(command: str, current: str | None) -> Iterator[None]:
    """Alembic's errors about revisions (unknown, out of reach, the wrong
    way) as payproc's one-line ones, in the words of ``payproc db
    {command}`` and with the revision the database is at."""
    from alembic.script.revision import ResolutionError, RevisionError
    from alembic.util import CommandError

    history = "`payproc db history` lists payproc's revisions"
    at = current or "no revision"
    try:
        yield
    except (CommandError, RevisionError) as error:
        message = str(error).strip().splitlines()[0]
        relative = re.match(r"Relative revision ([+-]?\d+) didn't produce (\d+) migrations", message)
        wrong_way = re.match(r"Destination (\S+) is not a valid (?:downgrade|upgrade) target", message)
        if relative:
            where = "below" if command == "downgrade" else "above"
            message = (f"cannot {command} {relative[1]}: the database is at {at}, and fewer than "
                       f"{relative[2]} revision(s) lie {where} it ({history})")
        elif wrong_way:
            other = "upgrade" if command == "downgrade" else "downgrade"
            message = (f"cannot {command} to {wrong_way[1]}: the database is at {at}, and "
                       f"`payproc db {command}` only goes {'down' if command == 'downgrade' else 'up'} "
                       f"(`payproc db {other}` goes the other way)")
        elif isinstance(error, ResolutionError) or (
                isinstance(error.__cause__, ResolutionError) and "Can't locate revision" in message):
            message += f" ({history})"
        raise ConfigurationError(message) from error
