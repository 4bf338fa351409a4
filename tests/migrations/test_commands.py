"""``payproc db …`` and ``payproc check``, and the check on first use: a
database behind the installed code is refused with what to run (one line,
non-zero exit, nothing changed), never a SQL error."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest
from migration_first_release import make_first_release_database
from migration_schema import fingerprint
from sqlalchemy import inspect, text

from payproc.app import Payproc
from payproc.cli import main
from payproc.db import Database, migrate
from payproc.errors import DatabaseOutOfDate


def payproc(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("payproc: error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture(autouse=True)
def fake_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYPROC_PROCESSOR__BACKEND", "fake")
    monkeypatch.setenv("PAYPROC_PROCESSOR__WEBHOOK_SECRET", "whsec_migrations_0123456789")


def test_init_current_history_on_an_empty_database(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = payproc(capsys, "db", "current", "--database-url", db_url)
    assert code == 0 and "run `payproc db init`" in out
    code, out, _ = payproc(capsys, "db", "init", "--database-url", db_url)
    assert code == 0 and f"(schema {migrate.head()})" in out
    code, out, _ = payproc(capsys, "db", "current", "--database-url", db_url)
    assert code == 0 and out.strip().endswith(f"{migrate.head()} (head)")
    code, out, _ = payproc(capsys, "db", "history")
    assert code == 0 and f"-> {migrate.head()} (head)" in out and f"-> {migrate.BASELINE}" in out


def test_a_first_release_database_is_refused_until_upgraded(db_url: str, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    make_first_release_database(db_url)
    monkeypatch.setenv("PAYPROC_DATABASE_URL", db_url)
    schema = fingerprint(Database(db_url).engine)

    code, out, _ = payproc(capsys, "db", "current")
    assert code == 0 and "payproc 0.1 (no revision)" in out and "run `payproc db upgrade`" in out
    code, out, _ = payproc(capsys, "check")
    assert code == 1 and "problem: the database schema is at payproc 0.1" in out and "`payproc db upgrade`" in out
    code, _, err = payproc(capsys, "charges")
    assert code == 2 and "run `payproc db upgrade`" in one_line_error(err)
    with pytest.raises(DatabaseOutOfDate, match="payproc db upgrade"):
        Payproc().list_charges()
    assert fingerprint(Database(db_url).engine) == schema  # nothing changed
    assert not inspect(Database(db_url).engine).has_table(migrate.VERSION_TABLE)

    code, out, _ = payproc(capsys, "db", "upgrade")
    assert code == 0 and f"payproc 0.1 (no revision) -> {migrate.head()}" in out
    code, out, _ = payproc(capsys, "db", "upgrade")
    assert code == 0 and "nothing to do" in out
    code, out, _ = payproc(capsys, "charges")
    assert code == 0 and "ch_1" in out
    code, out, _ = payproc(capsys, "check")
    assert code == 0 and out.strip().endswith("ok")


def test_downgrading_the_baseline_is_refused_and_changes_nothing(db_url: str,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    make_first_release_database(db_url)
    assert payproc(capsys, "db", "upgrade", "--database-url", db_url)[0] == 0
    database = Database(db_url)
    schema = fingerprint(database.engine)
    code, _, err = payproc(capsys, "db", "downgrade", "base", "--database-url", db_url)
    assert code == 2 and "cannot be downgraded" in one_line_error(err)
    assert fingerprint(database.engine) == schema
    assert migrate.current(database).up_to_date
    with database.transaction() as session:
        assert session.execute(text("SELECT COUNT(*) FROM payproc_charge")).scalar() == 1


@pytest.mark.parametrize("argv", [("upgrade", "no_such_revision"), ("downgrade", "no_such_revision")])
def test_an_unknown_revision_is_one_line(db_url: str, capsys: pytest.CaptureFixture[str], argv: tuple[str, str]) -> None:
    assert payproc(capsys, "db", "init", "--database-url", db_url)[0] == 0
    code, _, err = payproc(capsys, "db", *argv, "--database-url", db_url)
    line = one_line_error(err)
    assert code == 2 and "no_such_revision" in line and "`payproc db history` lists payproc's revisions" in line


@pytest.mark.parametrize(("argv", "expected"), [
    (("downgrade", "-9"), "cannot downgrade -9: the database is at {head}, and fewer than 9 revision(s) lie below it"),
    (("upgrade", "+2"), "cannot upgrade +2: the database is at {head}, and fewer than 2 revision(s) lie above it"),
])
def test_a_revision_out_of_reach_is_one_line_in_payprocs_words(db_url: str, capsys: pytest.CaptureFixture[str],
                                                                argv: tuple[str, str], expected: str) -> None:
    assert payproc(capsys, "db", "init", "--database-url", db_url)[0] == 0
    schema = fingerprint(Database(db_url).engine)
    code, _, err = payproc(capsys, "db", *argv, "--database-url", db_url)
    line = one_line_error(err)
    assert code == 2 and expected.format(head=migrate.head()) in line and "payproc db history" in line
    assert fingerprint(Database(db_url).engine) == schema


def test_a_revision_the_other_way_names_the_command_that_goes_there(db_url: str,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert payproc(capsys, "db", "init", "--database-url", db_url)[0] == 0
    assert payproc(capsys, "db", "downgrade", "-1", "--database-url", db_url)[0] == 0
    below = migrate.current(Database(db_url)).current
    schema = fingerprint(Database(db_url).engine)
    code, _, err = payproc(capsys, "db", "downgrade", migrate.head(), "--database-url", db_url)
    assert code == 2 and one_line_error(err) == (
        f"payproc: error: cannot downgrade to {migrate.head()}: the database is at {below}, and "
        "`payproc db downgrade` only goes down (`payproc db upgrade` goes the other way)")
    assert fingerprint(Database(db_url).engine) == schema
    code, _, err = payproc(capsys, "db", "upgrade", migrate.BASELINE[:4], "--database-url", db_url)
    assert code == 2 and one_line_error(err) == (
        f"payproc: error: cannot upgrade to {migrate.BASELINE}: the database is at {below}, and "
        f"`payproc db upgrade` only goes up (`payproc db downgrade {migrate.BASELINE}` goes the other way)")
    assert fingerprint(Database(db_url).engine) == schema


def test_downgrading_to_the_current_revision_says_nothing_to_do(db_url: str,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert payproc(capsys, "db", "init", "--database-url", db_url)[0] == 0
    code, out, _ = payproc(capsys, "db", "downgrade", migrate.head(), "--database-url", db_url)
    assert code == 0 and out.strip().endswith(f"is at {migrate.head()}: nothing to do")
    assert migrate.current(Database(db_url)).up_to_date


def test_a_database_newer_than_the_code_warns_and_is_not_upgraded(db_url: str,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert payproc(capsys, "db", "init", "--database-url", db_url)[0] == 0
    database = Database(db_url)
    with database.engine.begin() as connection:
        connection.execute(text(f"UPDATE {migrate.VERSION_TABLE} SET version_num = '9999_from_a_newer_payproc'"))
    app = Payproc(DATABASE_URL=db_url)
    with pytest.warns(migrate.DatabaseNewerWarning, match="9999_from_a_newer_payproc"):
        assert app.list_charges() == []
    code, _, err = payproc(capsys, "db", "upgrade", "--database-url", db_url)
    assert code == 2 and "a newer payproc upgraded it" in one_line_error(err)
    code, out, _ = payproc(capsys, "check", "--database-url", db_url)
    assert code == 1 and "9999_from_a_newer_payproc" in out


def test_a_database_that_cannot_be_opened_is_one_line(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path}/no/such/directory/payproc.sqlite3"
    code, _, err = payproc(capsys, "db", "upgrade", "--database-url", url)
    line = one_line_error(err)  # the CLI names the missing directory before SQLite says "unable to open"
    assert code == 2 and "the directory of the database" in line and "does not exist" in line


@pytest.mark.postgres
def test_an_unreachable_server_is_one_line_without_the_password(capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql+psycopg://payproc:s3cretpassw0rd@127.0.0.1:1/nowhere"
    code, _, err = payproc(capsys, "db", "current", "--database-url", url)
    line = one_line_error(err)
    assert code == 2 and "127.0.0.1" in line and "s3cretpassw0rd" not in line


def test_an_up_to_date_database_is_used_without_warning(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = Payproc(DATABASE_URL=f"sqlite:///{tmp_path}/ok.sqlite3")
    app.init_db()
    fresh = Payproc(DATABASE_URL=f"sqlite:///{tmp_path}/ok.sqlite3")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fresh.list_charges() == []
    assert fresh.db.schema_checked


def test_listing_backends_does_not_import_alembic() -> None:
    probe = subprocess.run([sys.executable, "-c", "import sys; from payproc.cli import main; main(['backends']); "
                            "print('alembic loaded:', 'alembic' in sys.modules)"], capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip().splitlines()[-1] == "alembic loaded: False"


def test_a_database_one_revision_behind_is_refused_then_upgraded(db_url: str,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    database = Database(db_url)
    migrate.upgrade(database, migrate.BASELINE, replay=True)
    assert migrate.BASELINE != migrate.head()
    code, out, _ = payproc(capsys, "check", "--database-url", db_url)
    assert code == 1 and f"at {migrate.BASELINE}, the installed payproc needs {migrate.head()}" in out
    with pytest.raises(DatabaseOutOfDate, match="run `payproc db upgrade`"):
        Payproc(DATABASE_URL=db_url).list_charges()
    code, out, _ = payproc(capsys, "db", "upgrade", "--database-url", db_url)
    assert code == 0 and f"{migrate.BASELINE} -> {migrate.head()}" in out
    assert Payproc(DATABASE_URL=db_url).list_charges() == []


def test_downgrade_and_upgrade_again_through_the_command(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Honest downgrades: down to the baseline and back keeps 0.1's rows."""
    make_first_release_database(db_url)
    assert payproc(capsys, "db", "upgrade", "--database-url", db_url)[0] == 0
    code, out, _ = payproc(capsys, "db", "downgrade", migrate.BASELINE, "--database-url", db_url)
    assert code == 0 and f"{migrate.head()} -> {migrate.BASELINE}" in out
    assert payproc(capsys, "db", "upgrade", "--database-url", db_url)[0] == 0
    code, out, _ = payproc(capsys, "charges", "--database-url", db_url)
    assert code == 0 and "ch_1" in out


def test_a_downgrade_that_would_lose_rows_is_one_line_and_changes_nothing(
        db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    make_first_release_database(db_url)
    assert payproc(capsys, "db", "upgrade", "--database-url", db_url)[0] == 0
    database = Database(db_url)
    with database.transaction() as session:  # a second dispute on the charge: 0.1's schema cannot hold it
        for key in ("dp_1", "dp_2"):
            session.execute(text(
                "INSERT INTO payproc_dispute (charge_id, state, amount, fee, created_at, updated_at, processor_key, "
                "kind) SELECT id, 'open', 100, 0, created_at, created_at, :key, 'chargeback' FROM payproc_charge"),
                {"key": key})
    schema = fingerprint(database.engine)
    code, _, err = payproc(capsys, "db", "downgrade", migrate.BASELINE, "--database-url", db_url)
    assert code == 2 and "more than one dispute" in one_line_error(err)
    assert fingerprint(database.engine) == schema and migrate.current(database).up_to_date


def test_creating_and_using_an_up_to_date_database_does_not_import_alembic(tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = ("import sys; from payproc.app import Payproc; "
            f"app = Payproc(DATABASE_URL='sqlite:///{tmp_path}/db.sqlite3', PROCESSOR={{'BACKEND': 'fake'}}); "
            "app.init_db(); app.init_db(); app.list_charges(); print('alembic loaded:', 'alembic' in sys.modules)")
    probe = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip().splitlines()[-1] == "alembic loaded: False"


@pytest.mark.parametrize(("below", "row", "reason"), [
    ("0004_webhook_event_details",
     "INSERT INTO payproc_webhook_event (backend, event_id, type, charge_processor_key, amount, currency, applied, "
     "received_at, details) VALUES ('fake', 'evt_1', 'dispute.created', 'ch_1', 100, 'usd', :no, "
     "CURRENT_TIMESTAMP, '{\"dispute\": {}}')",
     "1 webhook event(s) still wait for their charge"),
    ("0003_renewal_claims",
     "INSERT INTO payproc_webhook_inbox (backend, event_id, event, received_at) "
     "VALUES ('fake', 'evt_1', '{}', CURRENT_TIMESTAMP)",
     "webhook events not applied yet would be lost"),
])
def test_a_downgrade_that_would_lose_webhook_events_is_one_line_and_changes_nothing(
        db_url: str, capsys: pytest.CaptureFixture[str], below: str, row: str, reason: str) -> None:
    """Each revision that refuses a downgrade says why the way docs/migrations.md
    promises: one line, exit 2 (IrreversibleMigration), the database as it was."""
    assert payproc(capsys, "db", "init", "--database-url", db_url)[0] == 0
    database = Database(db_url)
    with database.engine.begin() as connection:
        connection.execute(text(row), {"no": False})
    schema = fingerprint(database.engine)
    target = migrate.script_directory().get_revision(below).down_revision
    code, _, err = payproc(capsys, "db", "downgrade", str(target), "--database-url", db_url)
    line = one_line_error(err)
    assert code == 2 and f"cannot downgrade below {below}: " in line and reason in line
    assert "RuntimeError" not in line and "--debug" not in line
    assert fingerprint(database.engine) == schema and migrate.current(database).up_to_date
    database.dispose()
