"""What the ``payproc`` command says when something goes wrong: one line a
user can act on, never a traceback (``--debug`` or ``PAYPROC_DEBUG=1`` shows
it), and checks made before a command touches the database, so that a
mistake writes nothing (not even an empty SQLite file)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConfigurationError, PayprocError

if TYPE_CHECKING:
    from .db import Database

__all__ = ["DEBUG_ENV", "check_sqlite_directory", "check_sqlite_file", "database_errors", "debug_requested", "explain",
           "require_database", "sqlite_path"]

#: Set to 1 to see the traceback of any error (same as ``payproc --debug``).
DEBUG_ENV = "PAYPROC_DEBUG"

#: Modules of an extra, and the extra that brings them.
EXTRAS = {
    "psycopg": "postgres", "psycopg_binary": "postgres",
    "starlette": "web", "uvicorn": "web", "multipart": "web", "python_multipart": "web",
}


def debug_requested(flag: bool) -> bool:
    return flag or os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no")


def explain(error: BaseException) -> str:
    """One line saying what went wrong and, when known, what to do."""
    if isinstance(error, PayprocError):
        return str(error)
    if isinstance(error, ModuleNotFoundError):
        module = (error.name or "").split(".")[0]
        extra = EXTRAS.get(module)
        if extra == "postgres":
            return f'a PostgreSQL DATABASE_URL needs psycopg: pip install "payproc[postgres]" ({error})'
        if extra == "web":
            return f'this command serves HTTP and needs the web extra: pip install "payproc[web]" ({error})'
    if isinstance(error, ImportError) and not isinstance(error, ModuleNotFoundError) and "extra" in str(error):
        return str(error)  # payproc.web's own "needs the web extra"
    if isinstance(error, KeyError) and error.args:
        return str(error.args[0])
    if isinstance(error, (FileExistsError, LookupError)):
        return str(error)
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    if isinstance(error, ArgumentError):
        return f"DATABASE_URL is not a database URL: {error}"
    if isinstance(error, SQLAlchemyError):
        cause = getattr(error, "orig", None) or error
        first = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        return f"cannot use the database: {first}"
    return f"{type(error).__name__}: {error} (run with --debug or {DEBUG_ENV}=1 for the traceback)"


def sqlite_path(url: str) -> Path | None:
    """The file a SQLite URL names (``None``: not SQLite, or in memory)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database or "")


def check_sqlite_directory(url: str) -> None:
    """Refuse a SQLite file in a directory that does not exist, or a path
    that is a directory (SQLite would say only "unable to open database
    file")."""
    path = sqlite_path(url)
    if path is None:
        return
    if not path.resolve().parent.is_dir():
        raise ConfigurationError(
            f"the directory of the database {path} does not exist: create {path.resolve().parent} "
            "or set DATABASE_URL (PAYPROC_DATABASE_URL, --database-url) to another path"
        )
    if path.is_dir():
        raise ConfigurationError(
            f"the database {path} is a directory, not a SQLite file: set DATABASE_URL (PAYPROC_DATABASE_URL, "
            "--database-url) to a file's path"
        )


def check_sqlite_file(url: str) -> None:
    """A SQLite database file exists, checked without creating it (opening a
    missing file makes an empty one)."""
    check_sqlite_directory(url)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise ConfigurationError(f"there is no database at {path.resolve()}: run `payproc db init` first")


@contextmanager
def database_errors(url: str) -> Iterator[None]:
    """A database that cannot be reached, refuses, or is no database: one
    line that names it (password hidden), so the user knows which file or
    server to look at."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    shown = make_url(url).render_as_string(hide_password=True)
    try:
        yield
    except DBAPIError as error:
        reason = str(error.orig if error.orig is not None else error).strip().splitlines()[0]
        raise ConfigurationError(f"database {shown}: {reason}") from error
    except ModuleNotFoundError as error:  # the URL's driver (psycopg: pip install 'payproc[postgres]')
        raise ConfigurationError(f"database {shown}: its driver is not installed ({error})") from error


def require_database(database: Database) -> None:
    """The database exists and has payproc's tables at the installed
    revision, checked without creating anything. The schema check is the one
    every first use makes (one query when the database is up to date; an
    empty or older one raises DatabaseOutOfDate saying what to run), done
    here so that the command fails before it starts; the command's own first
    transaction then skips it."""
    check_sqlite_file(database.url)
    with database_errors(database.url):
        database.check_schema()
