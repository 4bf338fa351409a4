"""The ``payproc`` command.

Sub-commands are small functions; argument parsing is the standard library's
argparse, which keeps ``payproc backends`` fast (no SDK, no database layer
imported to list what is installed).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import NoReturn

from .errors import InvalidInput, PayprocError

__all__ = ["main"]


def _settings(args: argparse.Namespace, *, database: bool = True):  # type: ignore[no-untyped-def]
    """The settings, with ``--database-url``; ``database``: refuse a SQLite
    file in a directory that does not exist before anything opens it."""
    from .cli_errors import check_sqlite_directory
    from .settings import load_settings

    overrides = {}
    if getattr(args, "database_url", None):
        overrides["DATABASE_URL"] = args.database_url
    settings = load_settings(**overrides)
    if database:
        check_sqlite_directory(settings.DATABASE_URL)
    return settings


def _existing_app(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """A Payproc on a database that ``payproc db init`` made: a command that
    reads or changes charges never creates an empty database. The backend is
    loaded first, so that a misspelt ``BACKEND`` or ``PROCESSOR`` key is
    refused by every command, not only by those that call the processor."""
    from .app import Payproc
    from .cli_errors import require_database

    app = Payproc(_settings(args))
    app.backend  # noqa: B018 - loads and validates the backend and its PROCESSOR section
    require_database(app.db)
    return app


def cmd_backends(args: argparse.Namespace) -> int:
    """List installed backends, their distribution, contract and operations."""
    from . import hookspecs
    from .backend import backend_capabilities
    from .discovery import installed_backends

    found = installed_backends()
    if not found:
        print("No payment backend is installed. Install one, e.g.: pip install payproc-fake")
        return 1
    for name, entry in sorted(found.items()):
        try:
            if entry.entry_point is None:
                continue
            backend_cls = entry.entry_point.load()
        except Exception as error:  # a broken plugin must not hide the others
            print(f"{name}  ({entry.distribution} {entry.version})  FAILED TO IMPORT: {type(error).__name__}: {error}")
            continue
        caps = backend_capabilities(backend_cls)
        label = " [experimental]" if getattr(backend_cls, "experimental", False) else ""
        print(f"{name}{label}  ({entry.distribution} {entry.version}, contract {getattr(backend_cls, 'contract', '?')})")
        ops = [op for op in hookspecs.BACKEND_HOOKS if op not in ("settings_model", "configure")]
        print("  supports: " + ", ".join(op for op in ops if op in caps))
        missing = [op for op in ops if op not in caps]
        reasons = getattr(backend_cls, "unsupported", {}) or {}
        for op in missing:
            reason = reasons.get(op)
            print(f"  not supported: {op}" + (f" — {reason}" if reason else ""))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Load settings, the backend and the database; report every problem."""
    import warnings

    from .settings import load_settings

    problems: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # A ResourceWarning reports a connection the garbage collector happened
        # to close at that moment (another part of the process left it open);
        # it says nothing of this configuration and would make the answer
        # depend on the collector's timing.
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            settings = load_settings(**({"DATABASE_URL": args.database_url} if args.database_url else {}))
        except PayprocError as error:
            print(f"settings: {error}")
            return 1
        print(f"backend: {settings.PROCESSOR.BACKEND}")
        try:
            from .backend import load_backend

            backend = load_backend(settings.PROCESSOR)
            print(f"  loaded {backend.name} ({len(backend.capabilities)} operations)")
            if backend.experimental:
                print("  note: this backend is experimental")
            describe = getattr(backend.impl, "describe", None)  # optional: what the backend says of its configuration
            for line in describe() if callable(describe) else ():
                print(f"  {line}")
            verification = backend.webhook_verification
            print(f"  webhooks: {verification.value}"
                  + (" (re-read from the processor with the API key; no secret exists)"
                     if verification.value == "fetch" else " (signed with WEBHOOK_SECRET)"))
            if verification.value == "signed" and not getattr(backend.settings, "WEBHOOK_SECRET", None):
                problems.append("PROCESSOR.WEBHOOK_SECRET is not set: every webhook will be refused")
        except PayprocError as error:
            problems.append(str(error))
    deprecations = [str(w.message) for w in caught if issubclass(w.category, (DeprecationWarning, FutureWarning))]
    warned = [str(w.message) for w in caught if str(w.message) not in deprecations]
    problems += _check_database(settings.DATABASE_URL)
    for message in deprecations:
        print(f"deprecated: {message}")
    for message in warned:
        print(f"warning: {message}")
    for problem in problems:
        print(f"problem: {problem}")
    notes = len(deprecations) + len(warned)
    if problems:
        print(f"{len(problems)} problem(s)" + (f", {notes} warning(s)" if notes else ""))
        return 1
    if notes:
        print(f"ok, with {notes} warning(s)" + ("" if not args.strict else ": --strict makes them problems"))
        return 1 if args.strict else 0
    print("ok")
    return 0


def _check_database(url: str) -> list[str]:
    """The database part of ``payproc check``: there, reachable, and its
    schema at the installed code's head revision (else: what to run)."""
    from .cli_errors import check_sqlite_file, database_errors, explain

    try:
        from .db import Database, migrate

        check_sqlite_file(url)  # before connecting: opening a missing SQLite file creates it
        database = Database(url)
        with database_errors(url):
            state = migrate.current(database)
        print(f"database: {database.engine.url.render_as_string(hide_password=True)} "
              f"(schema {state.current or '-'}, installed payproc expects {state.head})")
        problem = state.problem()
        return [problem] if problem else []
    except Exception as error:
        message = explain(error)
        return [message if message.startswith("database ") else f"database: {message}"]


def cmd_db(args: argparse.Namespace) -> int:
    """``payproc db init|upgrade|downgrade|current|history`` (payproc.db.commands)."""
    from .db.commands import run

    # history reads payproc's revisions, not the database
    return run(_settings(args, database=args.action != "history"), args)


def cmd_charges(args: argparse.Namespace) -> int:
    from .money import format_money

    app = _existing_app(args)
    for charge in app.list_charges(state=args.state, limit=args.limit):
        refunded = f", refunded {format_money(charge.amount_refunded, charge.currency)}" if charge.amount_refunded else ""
        print(f"#{charge.id}  {charge.state:<8} {format_money(charge.amount, charge.currency):>14}  "
              f"{charge.processor_key or '-'}{refunded}")
    return 0


def cmd_settle(args: argparse.Namespace) -> int:
    """Settle charges, refunds and payouts; list what stays in progress and why."""
    from .renewals import default_limiter, limited

    app = _existing_app(args)
    # under the processor rate limit the renewals keep (shared by every process on PostgreSQL)
    report = limited(app, default_limiter(app)).settle(customer=args.customer)
    for line in report.lines():
        print(line)
    return 0


def _utc(text: str, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"--{name} {text!r} is not a date (YYYY-MM-DD) or an ISO 8601 time") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def cmd_reconcile(args: argparse.Namespace) -> int:
    """Compare the books with the processor for a period; exit 1 on any difference."""
    until = _utc(args.until, "until") if args.until else datetime.now(timezone.utc)
    since = _utc(args.since, "since") if args.since else until - timedelta(days=args.days)
    report = _existing_app(args).reconcile(since, until)
    for line in report.lines():
        print(line)
    return 0 if report.balanced else 1


FAKE_CARDS_NOTE = ("note: the fake backend keeps cards in the memory of the process that saved them; "
                   "cards saved by another process are unknown here, so their renewals are declined "
                   "(card_absent). Run renewals in the process that saved the cards, or on a real backend.")


def cmd_renewals(args: argparse.Namespace) -> int:
    from .renewals import RenewalSummary, run_renewals

    app = _existing_app(args)
    if app.settings.PROCESSOR.BACKEND == "fake":
        print(FAKE_CARDS_NOTE)
    summary = RenewalSummary()
    try:
        run_renewals(app, concurrency=args.concurrency, rate_limit=args.rate_limit, summary=summary)
    except KeyboardInterrupt:
        print(f"interrupted: {summary}", flush=True)
        print("renewals not started were left due: run it again to finish (no renewal is charged twice)")
        return 130
    print(summary)
    return 0


def cmd_renewal_set(args: argparse.Namespace) -> int:
    from datetime import date

    from .errors import InvalidAmount, InvalidInput
    from .money import from_major, normalize_currency

    currency = normalize_currency(args.currency)
    amount = from_major(args.amount, currency)
    if amount <= 0:  # said in the unit typed (the flow would say "got -500", in minor units)
        raise InvalidAmount(f"the amount must be more than 0, got {args.amount} {currency.upper()}")
    try:
        due = date.fromisoformat(args.due) if args.due else date.today()
    except ValueError:
        raise InvalidInput(f"--due {args.due!r} is not a date such as 2024-05-31") from None
    app = _existing_app(args)
    print(f"renewal set: {app.set_renewal(args.customer, amount, currency, due)}")
    if app.settings.PROCESSOR.BACKEND == "fake":
        print(FAKE_CARDS_NOTE)
    return 0


def cmd_renewal_show(args: argparse.Namespace) -> int:
    renewal = _existing_app(args).renewal(args.customer)
    print(renewal if renewal is not None else f"{args.customer}: no renewal")
    return 0


def cmd_renewal_cancel(args: argparse.Namespace) -> int:
    previous = _existing_app(args).cancel_renewal(args.customer)
    print(f"renewal canceled: {previous}" if previous is not None else f"{args.customer}: no renewal to cancel")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(args.db, web=args.web, port=args.port)


def cmd_serve(args: argparse.Namespace) -> int:
    from .web import serve  # first: without the web extra, say so before anything else

    serve(_existing_app(args), host=args.host, port=args.port)
    return 0


def cmd_new_backend(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .kit import create_backend

    path = create_backend(args.name, Path(args.dest), redirect=args.redirect)
    print(f"created {path}")
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse, with a mistake on the command line said like every other:
    one ``payproc: error:`` line on stderr and exit status 2 (argparse's own
    prints the usage first, several lines that bury the error)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"payproc: error: {message} (see `{self.prog} --help`)\n")


def _number(kind: type[int] | type[float], low: float, high: float | None = None,
            low_included: bool = True) -> Callable[[str], int | float]:
    """An argparse type: a number of ``kind`` in [low, high] (``low``
    excluded unless ``low_included``), refused by argparse otherwise."""
    def convert(text: str) -> int | float:
        try:
            value = kind(text)
            if value != value or value in (float("inf"), float("-inf")):  # nan, inf: no rate, no count
                raise ValueError(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'a whole number' if kind is int else 'a number'}") \
                from None
        if value < low or (value == low and not low_included) or (high is not None and value > high):
            bounds = (f"from {low:g} to {high:g}" if high is not None
                      else f"at least {low:g}" if low_included else f"more than {low:g}")
            raise argparse.ArgumentTypeError(f"{text!r} is out of range: it must be {bounds}")
        return value

    convert.__name__ = kind.__name__  # argparse names the type in some messages
    return convert


#: --port: a TCP port (0, "any free port", would print a URL nobody can use).
_PORT = _number(int, 1, 65535)


def build_parser() -> argparse.ArgumentParser:
    from ._version import CONTRACT_VERSION, __version__
    from .cli_errors import DEBUG_ENV

    parser = _Parser(prog="payproc", description="Payments through pluggable processor backends.")
    parser.add_argument("--version", action="version",
                        version=f"payproc {__version__} (backend contract {CONTRACT_VERSION})")
    parser.add_argument("--debug", action="store_true",
                        help=f"show the traceback of an error (or set {DEBUG_ENV}=1)")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, func, help: str) -> argparse.ArgumentParser:  # type: ignore[no-untyped-def]
        command = sub.add_parser(name, help=help, description=help)
        command.set_defaults(func=func)
        return command

    add("backends", cmd_backends, "list installed backends and what each supports")
    check = add("check", cmd_check, "load settings, backend and database; exit non-zero on any problem")
    check.add_argument("--strict", action="store_true", help="exit non-zero on warnings (deprecated settings) too")
    check.add_argument("--database-url")
    db = add("db", cmd_db, "create, upgrade or inspect the database schema (Alembic migrations)")
    db_actions = db.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, help_text in (
        ("init", "create the tables (or upgrade them to the head) and the processor and broker profiles"),
        ("upgrade", "upgrade the schema to REVISION (default: the head, with the profiles as `init`)"),
        ("downgrade", "undo revisions down to REVISION (refused for a revision that cannot be undone)"),
        ("current", "show the database's revision and whether it is behind the installed payproc"),
        ("history", "list payproc's revisions, newest first"),
    ):
        db_action = db_actions.add_parser(action, help=help_text, description=help_text)
        if action == "upgrade":
            db_action.add_argument("revision", nargs="?", default="head", metavar="REVISION")
        elif action == "downgrade":
            db_action.add_argument("revision", metavar="REVISION", help="a revision id, or -1 for the previous one")
        db_action.add_argument("--database-url")
    charges = add("charges", cmd_charges, "list charges, newest first")
    charges.add_argument("--state", choices=["created", "done", "failed", "disputed", "lost"])
    charges.add_argument("--limit", type=_number(int, 1), default=50, help="at most this many (default: 50)")
    charges.add_argument("--database-url")
    settle = add("settle", cmd_settle, "settle charges, refunds and payouts whose outcome is unknown")
    settle.add_argument("--customer")
    settle.add_argument("--database-url")
    rec = add("reconcile", cmd_reconcile,
              "compare the charges and refunds of a period with the processor's; exit 1 on any difference")
    rec.add_argument("--since", help="start (YYYY-MM-DD or ISO 8601, UTC); default: --days before --until")
    rec.add_argument("--until", help="end, excluded (default: now)")
    rec.add_argument("--days", type=_number(int, 1), default=1,
                     help="length of the period without --since (default: 1)")
    rec.add_argument("--database-url")
    renewals = add("renewals", cmd_renewals, "charge every customer whose renewal is due, on the card on file "
                   "(set/show/cancel: one customer's renewal)")
    renewals.add_argument("--concurrency", type=_number(int, 1, 256),
                          help="renewal charges at once (default: RENEWALS.CONCURRENCY)")
    renewals.add_argument("--rate-limit", type=_number(float, 0, low_included=False),
                          help="processor calls per second at most (default: RENEWALS.RATE_LIMIT)")
    renewals.add_argument("--database-url")
    plan = renewals.add_subparsers(dest="renewal_command", required=False, metavar="{set,show,cancel}")
    plan_set = plan.add_parser("set", help="charge a customer AMOUNT CURRENCY on DUE and monthly after")
    plan_set.set_defaults(func=cmd_renewal_set)
    plan_set.add_argument("customer", help="profile slug")
    plan_set.add_argument("amount", help="in the currency's major unit, as people write it: 15.00")
    plan_set.add_argument("currency", help="ISO 4217 code: usd")
    plan_set.add_argument("--due", help="first renewal date, YYYY-MM-DD (default: today)")
    for name, func, text in (("show", cmd_renewal_show, "show a customer's renewal"),
                             ("cancel", cmd_renewal_cancel, "stop renewing a customer (the card stays on file)")):
        command = plan.add_parser(name, help=text)
        command.set_defaults(func=func)
        command.add_argument("customer", help="profile slug")
    for command in plan.choices.values():
        command.add_argument("--database-url", default=argparse.SUPPRESS)
    demo = add("demo", cmd_demo, "run the whole payment story on the fake backend and SQLite")
    demo.add_argument("--db", default="payproc-demo.sqlite3", help="SQLite file to write (default: %(default)s)")
    demo.add_argument("--web", action="store_true", help="serve the demo checkout page on 127.0.0.1")
    demo.add_argument("--port", type=_PORT, default=8000)
    serve = add("serve", cmd_serve, "serve the checkout and webhook endpoints (needs payproc[web])")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_PORT, default=8000)
    serve.add_argument("--database-url")
    new = add("new-backend", cmd_new_backend, "create a new backend distribution from the template")
    new.add_argument("name")
    new.add_argument("--dest", default=".", help="an existing directory to create payproc-NAME in (default: .)")
    new.add_argument("--redirect", action="store_true",
                     help="a redirect processor (approval on its page, capture on the return, "
                          "webhooks verified by its API), modelled on PayPal Orders v2")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. A mistake ends in one ``payproc: error:`` line on
    stderr and exit status 2 (1 for an unexpected error), never in a
    traceback unless ``--debug`` or ``PAYPROC_DEBUG=1`` asks for it."""
    from .cli_errors import debug_requested, explain

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except BrokenPipeError:
        # The reader went away (`payproc charges | head`): not a mistake to
        # report. Quiet, as a program killed by SIGPIPE; stdout goes to
        # /dev/null so that the interpreter's last flush cannot complain.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 128 + 13  # SIGPIPE
    except KeyboardInterrupt:
        if debug_requested(args.debug):
            raise
        print("payproc: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if debug_requested(args.debug):
            raise
        print(f"payproc: error: {explain(error)}", file=sys.stderr)
        expected = isinstance(error, (PayprocError, LookupError, ImportError, OSError)) or \
            type(error).__module__.startswith("sqlalchemy")
        return 2 if expected else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
