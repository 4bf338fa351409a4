"""The ``payproc`` command as a user meets it: each mistake is one line on
stderr, a non-zero exit, no traceback, and nothing written."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from payproc._version import CONTRACT_VERSION, __version__

PAYPROC = str(Path(sys.executable).with_name("payproc"))


def run(*args: str, cwd: Path, env: dict[str, str] | None = None, pythonpath: Path | None = None,
        ) -> subprocess.CompletedProcess[str]:
    clean = {name: value for name, value in os.environ.items() if not name.startswith("PAYPROC_")}
    clean.update(env or {})
    if pythonpath is not None:
        clean["PYTHONPATH"] = str(pythonpath)
    return subprocess.run([PAYPROC, *args], cwd=cwd, env=clean, capture_output=True, text=True, timeout=120)


def files(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def dump(database: Path) -> list[str]:
    """The database's content (its WAL files come and go with connections)."""
    with sqlite3.connect(database) as connection:
        return list(connection.iterdump())


def one_error_line(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.stderr == f"payproc: error: {message}\n", result.stderr
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr


def shadow(tmp_path: Path, module: str) -> Path:
    """A directory that makes ``import module`` fail as if it were not installed."""
    folder = tmp_path / "_shadow"
    (folder / module).mkdir(parents=True)
    (folder / module / "__init__.py").write_text(
        f'raise ModuleNotFoundError("No module named {module!r}", name={module!r})\n')
    return folder


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


def test_version(workdir):
    result = run("--version", cwd=workdir)
    assert (result.returncode, result.stdout) == (0, f"payproc {__version__} (backend contract {CONTRACT_VERSION})\n")


def test_charges_before_db_init_writes_no_empty_database(workdir):
    result = run("charges", cwd=workdir)
    one_error_line(result, f"there is no database at {workdir / 'payproc.sqlite3'}: run `payproc db init` first")
    assert files(workdir) == {}


def test_a_database_in_a_missing_directory_is_named_and_check_does_not_advise_db_init(workdir):
    url = "sqlite:///missing/dir/payproc.sqlite3"
    message = (f"the directory of the database missing/dir/payproc.sqlite3 does not exist: create "
               f"{workdir / 'missing' / 'dir'} or set DATABASE_URL (PAYPROC_DATABASE_URL, --database-url) "
               "to another path")
    for command in ("charges", "settle", "renewals", "db"):
        args = (command, "init") if command == "db" else (command,)
        one_error_line(run(*args, "--database-url", url, cwd=workdir), message)
    checked = run("check", "--database-url", url, cwd=workdir)
    assert checked.returncode == 1 and f"problem: database: {message}\n" in checked.stdout
    assert "db init" not in checked.stdout
    assert files(workdir) == {}


def test_postgresql_without_psycopg_says_which_extra(workdir, tmp_path):
    result = run("charges", "--database-url", "postgresql://payproc@127.0.0.1:5432/payproc", cwd=workdir,
                 pythonpath=shadow(tmp_path, "psycopg"))
    assert result.stderr.startswith('payproc: error: a PostgreSQL DATABASE_URL needs psycopg: '
                                    'pip install "payproc[postgres]"')
    assert result.stderr.count("\n") == 1 and result.returncode == 2 and "Traceback" not in result.stderr
    assert files(workdir) == {}


def test_demo_web_without_the_web_extra_says_which_extra(workdir, tmp_path):
    result = run("demo", "--web", "--db", "demo.sqlite3", cwd=workdir, pythonpath=shadow(tmp_path, "starlette"))
    one_error_line(result, '`payproc demo --web` needs the web extra: pip install "payproc[web]"')
    assert files(workdir) == {}


def test_serve_without_the_web_extra_says_which_extra(workdir, tmp_path):
    result = run("serve", cwd=workdir, pythonpath=shadow(tmp_path, "starlette"))
    one_error_line(result, "payproc.web needs the 'web' extra: pip install 'payproc[web]'")
    assert files(workdir) == {}


def test_a_malformed_toml_file_is_named_with_its_line(workdir):
    (workdir / "payproc.toml").write_text('[PROCESSOR]\nBACKEND = "fake\n')
    before = files(workdir)
    result = run("charges", cwd=workdir)
    assert result.stderr.startswith(f"payproc: error: {workdir / 'payproc.toml'} is not valid TOML: ")
    assert "line 2" in result.stderr and result.stderr.count("\n") == 1 and result.returncode == 2
    checked = run("check", cwd=workdir)  # check lists the problem on stdout and exits 1 (README)
    assert checked.returncode == 1 and checked.stderr == ""
    assert checked.stdout.startswith(f"settings: {workdir / 'payproc.toml'} is not valid TOML: ")
    assert files(workdir) == before


def test_new_backend_into_an_existing_directory(workdir):
    (workdir / "payproc-acme").mkdir()
    (workdir / "payproc-acme" / "mine.txt").write_text("keep me")
    result = run("new-backend", "acme", "--dest", str(workdir), cwd=workdir)
    one_error_line(result, f"{workdir / 'payproc-acme'} already exists: choose another name or destination")
    assert files(workdir) == {"payproc-acme/mine.txt": b"keep me"}


def test_debug_and_the_environment_variable_show_the_traceback(workdir):
    for args, env in ((("--debug", "charges"), {}), (("charges",), {"PAYPROC_DEBUG": "1"})):
        result = run(*args, cwd=workdir, env=env)
        assert result.returncode != 0 and "Traceback (most recent call last)" in result.stderr
        assert "ConfigurationError: there is no database at" in result.stderr
    assert files(workdir) == {}


def test_a_bad_backend_value_from_the_environment_fails_check(workdir):
    result = run("check", cwd=workdir, env={"PAYPROC_PROCESSOR__LATENCY_MS": "abc"})
    assert result.returncode == 1
    assert ("problem: invalid settings for backend 'fake': PROCESSOR.LATENCY_MS: Input should be a valid "
            "integer, unable to parse string as an integer\n") in result.stdout
    assert "\nok" not in result.stdout


def test_a_misspelt_processor_key_fails_check_with_the_closest(workdir):
    result = run("check", cwd=workdir, env={"PAYPROC_PROCESSOR__LATENCYMS": "5"})
    assert result.returncode == 1
    assert "problem: PROCESSOR.LATENCYMS is not a setting of backend 'fake': did you mean 'LATENCY_MS'?\n" in result.stdout


def _initialized(workdir: Path, env: dict[str, str] | None = None) -> None:
    assert run("db", "init", cwd=workdir, env=env).returncode == 0


def test_check_reports_deprecated_settings(workdir):
    env = {"PAYPROC_PROCESSOR__BACKEND": "saas.backends.fake_processor.FakeProcessorBackend",
           "PAYPROC_PROCESSOR__WEBHOOK_SECRET": "whsec_check"}
    _initialized(workdir, env)
    result = run("check", cwd=workdir, env=env)
    assert ("deprecated: PROCESSOR.BACKEND 'saas.backends.fake_processor.FakeProcessorBackend' is a djaodjin-saas "
            "path, deprecated: use 'fake'\n") in result.stdout
    assert result.stdout.endswith("ok, with 1 warning(s)\n") and result.returncode == 0
    strict = run("check", "--strict", cwd=workdir, env=env)
    assert strict.returncode == 1 and "deprecated: PROCESSOR.BACKEND" in strict.stdout


def test_an_unknown_backend_gets_no_made_up_package(workdir):
    result = run("check", cwd=workdir, env={"PAYPROC_PROCESSOR__BACKEND": "adyen"})
    assert result.returncode == 1
    assert "problem: unknown payment backend 'adyen'. Installed backends: " in result.stdout
    assert "pip install" not in result.stdout


@pytest.mark.parametrize("content", [b"my notes, not a database\n", "charges"])
def test_demo_never_overwrites_a_file_it_did_not_make(workdir, content):
    target = workdir / "payproc.sqlite3"
    if content == "charges":  # a real payproc database with a charge
        _initialized(workdir)
        with sqlite3.connect(target) as connection:
            connection.execute("INSERT INTO payproc_profile (slug, printable_name, nb_renewal_attempts, created_at) "
                               "VALUES ('alice', 'Alice', 0, '2024-01-01 00:00:00')")
    else:
        target.write_bytes(content)
    before = files(workdir)
    result = run("demo", "--db", str(target), cwd=workdir)
    one_error_line(result, f"{target} exists and was not made by `payproc demo`: it is left untouched; "
                           "choose another --db path")
    assert files(workdir) == before


def test_demo_replaces_its_own_file(workdir):
    first = run("demo", "--db", "demo.sqlite3", cwd=workdir)
    assert first.returncode == 0, first.stderr
    again = run("demo", "--db", "demo.sqlite3", cwd=workdir)
    assert again.returncode == 0, again.stderr
    assert "The books are balanced" in again.stdout
    assert "refunding 50.00 USD more is refused: cannot refund 50.00 USD of charge 1: only 15.00 USD is left" \
        in again.stdout


def test_renewal_set_show_cancel(workdir):
    _initialized(workdir)
    with sqlite3.connect(workdir / "payproc.sqlite3") as connection:
        connection.execute("INSERT INTO payproc_profile (slug, printable_name, nb_renewal_attempts, created_at) "
                           "VALUES ('alice', 'Alice', 0, '2024-01-01 00:00:00')")
    before = dump(workdir / "payproc.sqlite3")
    one_error_line(run("renewals", "set", "nobody", "15.00", "usd", cwd=workdir),
                   "no profile 'nobody': create it first (Payproc.add_profile)")
    one_error_line(run("renewals", "set", "alice", "15.001", "usd", cwd=workdir),
                   "15.001 has more decimals than USD allows (2)")
    one_error_line(run("renewals", "set", "alice", "-5", "usd", cwd=workdir),
                   "the amount must be more than 0, got -5 USD")
    one_error_line(run("renewals", "set", "alice", "15 dollars", "usd", cwd=workdir), "'15 dollars' is not a number")
    one_error_line(run("renewals", "set", "alice", "15.00", "usd", "--due", "31/05/2024", cwd=workdir),
                   "--due '31/05/2024' is not a date such as 2024-05-31")
    assert dump(workdir / "payproc.sqlite3") == before
    result = run("renewals", "set", "alice", "15.00", "usd", "--due", "2024-05-31", cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "renewal set: alice: 15.00 USD due 2024-05-31; no card on file: the batch skips it\n")
    assert "the fake backend keeps cards in the memory of the process that saved them" in result.stdout
    shown = run("renewals", "show", "alice", cwd=workdir)
    assert shown.stdout == "alice: 15.00 USD due 2024-05-31; no card on file: the batch skips it\n"
    canceled = run("renewals", "cancel", "alice", cwd=workdir)
    assert canceled.stdout == "renewal canceled: alice: 15.00 USD due 2024-05-31; no card on file: the batch skips it\n"
    assert run("renewals", "show", "alice", cwd=workdir).stdout == "alice: no renewal\n"


def test_ctrl_c_during_renewals_prints_the_summary_so_far(workdir):
    _initialized(workdir)
    customers = 30
    with sqlite3.connect(workdir / "payproc.sqlite3") as connection:
        connection.executemany(
            "INSERT INTO payproc_profile (slug, printable_name, processor_card_key, nb_renewal_attempts, "
            "renewal_amount, renewal_currency, renewal_due, created_at) "
            "VALUES (?, ?, ?, 0, 1500, 'usd', '2024-01-01', '2024-01-01 00:00:00')",
            [(f"cust{i}", f"Customer {i}", f"cus_fake_gone{i}") for i in range(customers)])
    clean = {name: value for name, value in os.environ.items() if not name.startswith("PAYPROC_")}
    # As from a terminal: Ctrl-C reaches the command. (A test run started in
    # the background by a shell — CI's side-by-side nox — inherits SIGINT
    # ignored, and Python then never raises KeyboardInterrupt.)
    process = subprocess.Popen([PAYPROC, "renewals", "--concurrency", "1"], cwd=workdir,
                               env={**clean, "PAYPROC_PROCESSOR__LATENCY_MS": "200"},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while True:  # wait for two renewals to be done: the first is counted by then (one at a time, 200 ms each)
        with sqlite3.connect(workdir / "payproc.sqlite3") as connection:
            done = connection.execute("SELECT count(*) FROM payproc_profile WHERE nb_renewal_attempts > 0").fetchone()
        if done[0] >= 2 or time.monotonic() > deadline or process.poll() is not None:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in out + err
    lines = out.splitlines()
    interrupted = next(line for line in lines if line.startswith("interrupted: "))
    declined = int(interrupted.split(", ")[1].split()[0])
    assert 1 <= declined < customers  # what was done so far, not the whole batch
    assert lines[-1] == "renewals not started were left due: run it again to finish (no renewal is charged twice)"
    with sqlite3.connect(workdir / "payproc.sqlite3") as connection:
        untouched = connection.execute("SELECT count(*) FROM payproc_profile WHERE renewal_amount IS NOT NULL "
                                       "AND nb_renewal_attempts = 0").fetchone()[0]
    assert untouched > 0
    again = run("renewals", cwd=workdir)
    assert again.returncode == 0 and f"{customers} declined" in again.stdout.splitlines()[-1]


def test_check_does_not_report_a_resource_warning_the_collector_raised(workdir, capsys, monkeypatch):
    """A connection left open elsewhere in the process, closed by the garbage
    collector while ``check`` loads the backend, is not a warning about the
    configuration: the answer must not depend on the collector's timing."""
    import warnings

    from payproc import backend as backend_module
    from payproc.cli import main

    _initialized(workdir)
    loaded = backend_module.load_backend

    def load_while_collecting(settings):  # type: ignore[no-untyped-def]
        warnings.warn("unclosed <sqlite3.Connection object>", ResourceWarning, stacklevel=1)
        return loaded(settings)

    monkeypatch.setattr(backend_module, "load_backend", load_while_collecting)
    monkeypatch.chdir(workdir)
    for name in [name for name in os.environ if name.startswith("PAYPROC_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PAYPROC_PROCESSOR__WEBHOOK_SECRET", "whsec_check")
    code = main(["check"])
    out = capsys.readouterr().out
    assert code == 0 and out.endswith("ok\n") and "warning" not in out


def test_check_says_which_sqlite_file_is_missing_and_what_to_run(workdir):
    """No raw ``FileNotFoundError: ...`` on the ``database:`` line: the
    sentence names the file and the command that makes it, and check creates
    nothing (opening a missing SQLite file would)."""
    result = run("check", cwd=workdir, env={"PAYPROC_PROCESSOR__WEBHOOK_SECRET": "whsec_check"})
    assert result.returncode == 1
    assert result.stdout.endswith(f"problem: database: there is no database at {workdir / 'payproc.sqlite3'}: "
                                  "run `payproc db init` first\n1 problem(s)\n"), result.stdout
    assert "Error" not in result.stdout and result.stderr == ""
    assert files(workdir) == {}


@pytest.mark.parametrize("kind", ["not a database", "a directory"])
def test_a_database_path_that_is_no_sqlite_database_is_one_line(workdir, kind):
    target = workdir / "payproc.sqlite3"
    if kind == "a directory":
        target.mkdir()
        message = ("the database payproc.sqlite3 is a directory, not a SQLite file: set DATABASE_URL "
                   "(PAYPROC_DATABASE_URL, --database-url) to a file's path")
        problem = f"database: {message}"
    else:
        target.write_bytes(b"my notes, not a database\n")
        message = problem = "database sqlite:///payproc.sqlite3: file is not a database"  # names the file
    before = files(workdir)
    one_error_line(run("charges", cwd=workdir), message)
    checked = run("check", cwd=workdir, env={"PAYPROC_PROCESSOR__WEBHOOK_SECRET": "whsec_check"})
    assert checked.returncode == 1 and checked.stdout.endswith(f"problem: {problem}\n1 problem(s)\n")
    assert files(workdir) == before


def test_a_database_without_payproc_tables_is_refused_by_the_first_use_check(workdir):
    with sqlite3.connect(workdir / "payproc.sqlite3") as connection:
        connection.execute("CREATE TABLE notes (body TEXT)")
    before = dump(workdir / "payproc.sqlite3")
    one_error_line(run("charges", cwd=workdir),
                   "the database has no payproc tables: run `payproc db init` (or Payproc.init_db())")
    assert dump(workdir / "payproc.sqlite3") == before


def test_the_command_checks_the_schema_once_before_it_runs(workdir, monkeypatch, capsys):
    """One schema query before the command's own (require_database makes the
    first-use check; the command's first transaction does not repeat it)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from payproc.cli import main

    _initialized(workdir)
    monkeypatch.chdir(workdir)
    for name in [name for name in os.environ if name.startswith("PAYPROC_")]:
        monkeypatch.delenv(name)
    statements: list[str] = []

    def record(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        assert main(["charges"]) == 0
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    capsys.readouterr()
    assert [s.split("FROM")[1].split()[0] for s in statements] == ["payproc_alembic_version", "payproc_charge"]


@pytest.mark.parametrize("args", [
    ("bogus",),
    ("db",),
    ("db", "frob"),
    ("charges", "--limit", "abc"),
    ("charges", "--limit", "0"),
    ("charges", "--state", "paid"),
    ("reconcile", "--days", "0"),
    ("renewals", "--concurrency", "0"),
    ("renewals", "--concurrency", "x"),
    ("renewals", "--rate-limit", "-1"),
    ("serve", "--port", "99999"),
    ("demo", "--port", "http"),
    ("renewals", "set", "alice"),
])
def test_a_command_line_mistake_is_one_line_without_the_usage(workdir, args, monkeypatch, capsys):
    """argparse's refusals too (in-process: argparse refuses before the command imports anything)."""
    from payproc.cli import main

    monkeypatch.chdir(workdir)
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out, err = capsys.readouterr()
    assert exited.value.code == 2 and out == ""
    assert err.startswith("payproc: error: ") and err.count("\n") == 1, err
    assert "usage:" not in err and "--help`)" in err
    assert files(workdir) == {}


@pytest.mark.parametrize(("env", "message"), [
    ({"PAYPROC_PROCESSOR__BACKEND": "adyen"}, "unknown payment backend 'adyen'. Installed backends: "),
    ({"PAYPROC_PROCESSOR__LATENCYMS": "5"},
     "PROCESSOR.LATENCYMS is not a setting of backend 'fake': did you mean 'LATENCY_MS'?"),
])
@pytest.mark.parametrize("command", [("charges",), ("renewals", "show", "alice")])
def test_a_wrong_backend_setting_is_refused_by_commands_that_only_read(workdir, env, message, command):
    """Not only ``check``: listing charges on a misconfigured backend is a
    mistake too, said before anything runs (never a silently kept default)."""
    _initialized(workdir)
    before = dump(workdir / "payproc.sqlite3")
    result = run(*command, cwd=workdir, env=env)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"payproc: error: {message}") and result.stderr.count("\n") == 1
    assert dump(workdir / "payproc.sqlite3") == before


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_a_port_in_use_is_one_line_and_writes_nothing(workdir, command):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        if command == "serve":
            _initialized(workdir)
            args: tuple[str, ...] = ("serve", "--port", str(port))
        else:
            args = ("demo", "--web", "--port", str(port), "--db", "demo.sqlite3")
        before = files(workdir)
        result = run(*args, cwd=workdir)
    one_error_line(result, f"cannot listen on 127.0.0.1:{port}: Address already in use (choose another --port)")
    assert result.stdout == "" and files(workdir) == before


def test_a_reader_that_goes_away_is_not_an_error(workdir):
    """``payproc backends | head -1``: the closed pipe ends the command
    quietly, as it ends any other program (exit status 128 + SIGPIPE)."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line
    try:
        clean = {name: value for name, value in os.environ.items() if not name.startswith("PAYPROC_")}
        result = subprocess.run([PAYPROC, "backends"], cwd=workdir, env=clean, stdout=write_end,
                                stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert (result.returncode, result.stderr) == (141, "")


def test_db_current_before_db_init_creates_no_file(workdir):
    result = run("db", "current", cwd=workdir)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout == (f"sqlite:///payproc.sqlite3: no database yet ({workdir / 'payproc.sqlite3'} does not "
                             "exist): run `payproc db init`\n")
    assert files(workdir) == {}
    history = run("db", "history", "--database-url", "sqlite:///missing/dir/payproc.sqlite3", cwd=workdir)
    assert history.returncode == 0 and "(head)" in history.stdout  # it reads the revisions, not the database
