"""``payproc db …``: the schema commands (the parser is in payproc.cli).

Each prints one short report; every mistake (an unknown revision, a revision
that cannot be undone, a database that cannot be reached) is a
:class:`~payproc.errors.PayprocError` that ``payproc`` shows as one line with
a non-zero exit. Alembic is imported by the commands that need it only.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from sqlalchemy.engine import make_url

from ..cli_errors import database_errors
from ..settings import Settings
from . import migrate
from .engine import Database

__all__ = ["run"]


def _shown(database: Database) -> str:
    return database.engine.url.render_as_string(hide_password=True)


def _revision(state: migrate.SchemaState) -> str:
    if state.empty:
        return "empty"
    return state.current or "payproc 0.1 (no revision)"


def db_init(settings: Settings, args: argparse.Namespace) -> int:
    from ..app import Payproc

    app = Payproc(settings)
    app.init_db()
    print(f"database ready: {_shown(app.db)} (schema {migrate.head()})")
    return 0


def db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    database = Database(settings.DATABASE_URL)
    before = migrate.upgrade(database, args.revision, decide=True)
    after = migrate.current(database)
    if after.up_to_date:  # at the head: the processor and broker profiles too, as `db init`
        from ..app import Payproc

        Payproc(settings, database=database).init_db()
    if after.current == before.current:
        print(f"{_shown(database)} is at {_revision(after)}: nothing to do")
    else:
        print(f"upgraded {_shown(database)}: {_revision(before)} -> {_revision(after)}")
    return 0


def db_downgrade(settings: Settings, args: argparse.Namespace) -> int:
    database = Database(settings.DATABASE_URL)
    before = migrate.downgrade(database, args.revision)
    after = migrate.current(database)
    if after.current == before.current:
        print(f"{_shown(database)} is at {_revision(after)}: nothing to do")
    else:
        print(f"downgraded {_shown(database)}: {_revision(before)} -> {_revision(after)}")
    return 0


def db_current(settings: Settings, args: argparse.Namespace) -> int:
    from ..cli_errors import sqlite_path

    path = sqlite_path(settings.DATABASE_URL)
    if path is not None and not path.exists():  # opening it would create an empty file
        shown = make_url(settings.DATABASE_URL).render_as_string(hide_password=True)
        print(f"{shown}: no database yet ({path.resolve()} does not exist): run `payproc db init`")
        return 0
    database = Database(settings.DATABASE_URL)
    state = migrate.current(database)
    problem = state.problem()
    where = " (in your application's alembic_version)" if state.managed_by_app else ""
    print(f"{_shown(database)}: {_revision(state)}{where}" + (f"; {problem}" if problem else " (head)"))
    return 0


def db_history(settings: Settings, args: argparse.Namespace) -> int:
    """payproc's revisions, newest first (the database is not read)."""
    for script in migrate.script_directory().walk_revisions():
        down = script.down_revision
        parent = "-" if down is None else down if isinstance(down, str) else ", ".join(down)
        mark = " (head)" if script.revision == migrate.head() else ""
        summary = (script.doc or "").strip().splitlines()[0] if script.doc else ""
        print(f"{parent} -> {script.revision}{mark}  {summary}")
    return 0


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], int]] = {
    "init": db_init,
    "upgrade": db_upgrade,
    "downgrade": db_downgrade,
    "current": db_current,
    "history": db_history,
}


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Run ``payproc db <args.action>``."""
    with database_errors(settings.DATABASE_URL):
        return COMMANDS[args.action](settings, args)
