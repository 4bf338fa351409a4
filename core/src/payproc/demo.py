"""``payproc demo``: the whole payment story on the embedded default (the
fake backend and a SQLite file), told step by step for a newcomer.

The core imports no plugin: the fake backend is found like any backend,
through its entry point, and the module that signs its webhooks is found next
to the loaded backend class. The demo's SQLite file carries a mark
(``PRAGMA application_id``), so a rerun replaces the demo's own file and
refuses to touch any other file.
"""

from __future__ import annotations

import importlib
import secrets
import sqlite3
from pathlib import Path
from typing import Any

from .errors import ConfigurationError
from .money import format_money

DEMO_SECRET = "whsec_demo_" + secrets.token_hex(8)

#: ``PRAGMA application_id`` of a file the demo made ("PYDM").
DEMO_APPLICATION_ID = 0x5059444D


def _made_by_demo(path: Path) -> bool:
    """Read the mark from the SQLite header (bytes 68-71) without opening
    the file as a database: opening it would touch its WAL index."""
    try:
        with path.open("rb") as file:
            header = file.read(72)
    except OSError:
        return False
    return (len(header) == 72 and header.startswith(b"SQLite format 3\x00")
            and int.from_bytes(header[68:72], "big") == DEMO_APPLICATION_ID)


def prepare_demo_file(path: Path) -> None:
    """Remove the demo's previous file at ``path``; refuse anything else."""
    if not path.parent.is_dir():
        raise ConfigurationError(f"the directory of --db {path} does not exist: create {path.parent} first")
    if path.is_dir() or (path.exists() and not _made_by_demo(path)):
        raise ConfigurationError(
            f"{path} exists and was not made by `payproc demo`: it is left untouched; "
            "choose another --db path"
        )
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)


def _mark_demo_file(path: Path) -> None:
    connection = sqlite3.connect(path)
    try:
        connection.execute(f"PRAGMA application_id = {DEMO_APPLICATION_ID}")
        connection.commit()
    finally:
        connection.close()


def _backend_module(app: Any, name: str) -> Any:
    """A module of the loaded backend's own package (the fake's ``webhooks``)."""
    package = type(app.backend.impl).__module__.split(".")[0]
    return importlib.import_module(f"{package}.{name}")


def _say(step: int, text: str) -> None:
    print(f"\n{step}. {text}")


def run_demo(db_path: str = "payproc-demo.sqlite3", *, web: bool = False, port: int = 8000) -> int:
    from .app import Payproc
    from .discovery import installed_backends
    from .settings import load_settings

    if "fake" not in installed_backends():
        raise ConfigurationError("the demo runs on the fake backend, which is not installed: pip install "
                                 "payproc-fake (from a clone of the payproc repository: "
                                 "pip install -e plugins/payproc-fake)")
    sock = None
    if web:
        try:
            import uvicorn  # noqa: F401

            from . import web as _web  # noqa: F401
        except ImportError:
            raise ConfigurationError('`payproc demo --web` needs the web extra: pip install "payproc[web]"') from None
        from .web.server import listen

        sock = listen("127.0.0.1", port)  # a port in use is refused before the demo writes anything
    path = Path(db_path).resolve()
    prepare_demo_file(path)
    settings = load_settings(
        DATABASE_URL=f"sqlite:///{path}",
        PROCESSOR={"BACKEND": "fake", "WEBHOOK_SECRET": DEMO_SECRET, "ACCOUNT": f"acct_demo_{secrets.token_hex(4)}"},
    )
    app = Payproc(settings)
    print(f"payproc demo — fake processor backend, SQLite database {path}")
    _say(1, "Create the database and the four parties of a marketplace payment.")
    _mark_demo_file(path)
    app.init_db()
    app.add_profile("cowork", "Cowork Space Ltd.", "billing@cowork.example")
    app.add_profile("alice", "Alice Martin", "alice@example.com")
    print(f"   processor (the payment processor, profile #{settings.PROCESSOR_ID}), broker (runs the marketplace),\n"
          "   cowork (the provider who sells), alice (the subscriber who pays)")
    if web:
        from .web import serve

        print(f"\nServing the checkout page on http://127.0.0.1:{port}/ (Ctrl-C to stop)")
        serve(app, host="127.0.0.1", port=port, demo=True, sock=sock)
        return 0

    amount, currency = 2000, "usd"
    _say(2, f"Alice's checkout page asks for a payment context for {format_money(amount, currency)}.")
    prepared = app.payment_context("alice", amount, currency, provider="cowork")
    print(f"   the browser gets {dict(prepared.values)}; it posts the token as {prepared.token_field!r}")

    _say(3, "The processor's JavaScript turns Alice's card into a token (here: tok_visa); the server checks out.")
    charge = app.checkout("alice", amount, currency, "tok_visa", provider="cowork",
                          idempotency_key=prepared.idempotency_key)
    print(f"   charge #{charge.id} is {charge.state}: processor key {charge.processor_key}")

    _say(4, "The receipt shows only what a receipt may show of a card.")
    print(f"   card ***-{charge.last4}, expires {charge.exp_date:%m/%Y}, name {charge.card_name}")

    _say(5, "How the money splits (the fake charges 2.9% + 30 cents):")
    for (slug, account, unit), value in sorted(app.balances().items()):
        if account == "Funds" and value:
            print(f"   {slug:<10} funds {format_money(value, unit):>12}")

    _say(6, "Cowork refunds part of the charge: 5.00 USD.")
    app.refund(charge.id, 500)
    charge = app.get_charge(charge.id)
    print(f"   refunded so far: {format_money(charge.amount_refunded, currency)}; "
          f"left: {format_money(charge.amount_left, currency)}")
    try:
        app.refund(charge.id, 5000)
    except Exception as error:  # shown on purpose: bad input is refused
        print(f"   refunding 50.00 USD more is refused: {error}")

    _say(7, "Alice's bank opens a dispute; the processor posts a signed webhook.")
    from .types import EventType

    build_event = _backend_module(app, "webhooks").build_event
    body, headers = build_event(EventType.DISPUTE_CREATED, charge.processor_key or "", secret=DEMO_SECRET)
    outcome = app.handle_webhook(body, headers)
    print(f"   webhook {outcome.event_id}: {outcome.status}; charge is now {app.get_charge(charge.id).state}")
    outcome = app.handle_webhook(body, headers)
    print(f"   the same webhook delivered again: {outcome.status} (applied once)")
    forged = body.replace(b"dispute", b"dispvte")
    try:
        app.handle_webhook(forged, headers)
    except Exception as error:
        print(f"   a tampered copy is rejected: {error}")

    _say(8, "The ledger (double entry: every row moves money from one account to another):")
    for (slug, account, unit), value in sorted(app.balances().items()):
        print(f"   {slug:<10} {account:<11} {format_money(value, unit):>12}")
    report = app.check_books()
    verdict = "balanced" if report.balanced else "NOT balanced: " + "; ".join(report.problems)
    print(f"\nThe books are {verdict} (sum per currency: {report.totals}).")
    print(f"Inspect it all with: payproc charges --database-url sqlite:///{path}")
    return 0 if report.balanced else 1
