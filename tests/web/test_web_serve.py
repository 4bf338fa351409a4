"""``payproc serve`` and ``payproc demo --web`` in their own process, as a user runs them."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def payproc_command() -> str:
    return str(Path(sys.executable).with_name("payproc"))


def wait_for(process: subprocess.Popen[bytes], url: str) -> httpx.Response:
    deadline = time.monotonic() + 30
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)


def stop(process: subprocess.Popen[bytes]) -> str:
    process.terminate()
    out, _ = process.communicate(timeout=10)
    return out.decode()


def test_demo_serve_creates_the_tables_and_the_demo_customer_then_serves(tmp_path):
    port = free_port()
    script = textwrap.dedent(f"""
        from payproc import Payproc
        from payproc.web import serve
        app = Payproc(DATABASE_URL="sqlite:///{tmp_path}/serve.sqlite3",
                      PROCESSOR={{"BACKEND": "fake", "WEBHOOK_SECRET": "whsec_serve"}})
        serve(app, port={port}, demo=True, log_level="warning")
    """)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        context = wait_for(process, f"{base}/api/context")
        assert context.status_code == 200
        assert context.json()["customer"] == "demo"
        assert httpx.get(f"{base}/", timeout=5).status_code == 200
        paid = httpx.post(f"{base}/api/checkout", json={"amount_major": "3.00", "currency": "usd",
                                                        "stripeToken": "tok_visa"}, timeout=10)
        assert paid.status_code == 200 and paid.json()["state"] == "done"
    finally:
        stop(process)


def _env(tmp_path: Path, database: Path) -> dict[str, str]:
    return {**os.environ, "PAYPROC_DATABASE_URL": f"sqlite:///{database}",
            "PAYPROC_PROCESSOR__BACKEND": "fake", "PAYPROC_PROCESSOR__WEBHOOK_SECRET": "whsec_serve"}


def test_payproc_serve_before_db_init_says_so_and_writes_nothing(tmp_path):
    database = tmp_path / "prod.sqlite3"
    result = subprocess.run([payproc_command(), "serve", "--port", str(free_port())], cwd=tmp_path,
                            env=_env(tmp_path, database), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr == f"payproc: error: there is no database at {database}: run `payproc db init` first\n"
    assert "Traceback" not in result.stdout + result.stderr
    assert list(tmp_path.iterdir()) == []


def test_payproc_serve_exposes_webhooks_and_checkout_only_and_writes_no_demo_customer(tmp_path):
    database = tmp_path / "prod.sqlite3"
    env = _env(tmp_path, database)
    subprocess.run([payproc_command(), "db", "init"], cwd=tmp_path, env=env, check=True, capture_output=True)
    with sqlite3.connect(database) as connection:
        profiles_before = connection.execute("SELECT slug FROM payproc_profile ORDER BY slug").fetchall()
        connection.execute("INSERT INTO payproc_profile (slug, printable_name, nb_renewal_attempts, created_at) "
                           "VALUES ('alice', 'Alice', 0, '2024-01-01 00:00:00')")
    port = free_port()
    process = subprocess.Popen([payproc_command(), "serve", "--port", str(port)], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        context = wait_for(process, f"{base}/api/context?customer=alice")
        assert context.status_code == 200
        paid = httpx.post(f"{base}/api/checkout", json={"customer": "alice", "amount_major": "3.00",
                                                        "currency": "usd", "stripeToken": "tok_visa"}, timeout=10)
        assert paid.status_code == 200 and paid.json()["state"] == "done"
        charge_id = paid.json()["id"]
        refund = httpx.post(f"{base}/api/charges/{charge_id}/refunds", json={}, timeout=5)
        assert refund.status_code == 404  # no refunds without the application's authorization
        for path in ("/api/charges", f"/api/charges/{charge_id}", "/api/ledger", "/api/card", "/"):
            assert httpx.get(f"{base}{path}", timeout=5).status_code == 404, path
        unsigned = httpx.post(f"{base}/webhooks/fake", content=b"{}", timeout=5)
        assert unsigned.status_code == 400  # the webhook endpoint exists and checks signatures
        assert httpx.post(f"{base}/webhooks/stripe", content=b"{}", timeout=5).status_code == 404
    finally:
        output = stop(process)
    assert "webhooks: give the processor https://<your public host>/webhooks/fake" in output
    with sqlite3.connect(database) as connection:
        profiles_after = connection.execute("SELECT slug FROM payproc_profile ORDER BY slug").fetchall()
        refunded = connection.execute("SELECT amount_refunded FROM payproc_charge").fetchall()
    assert profiles_after == sorted([*profiles_before, ("alice",)]) and ("demo",) not in profiles_after
    assert refunded == [(0,)]


def test_ctrl_c_stops_payproc_serve_cleanly(tmp_path):
    """Ctrl-C is how one stops a server: exit 0, no 'interrupted', no traceback."""
    import signal

    database = tmp_path / "prod.sqlite3"
    env = _env(tmp_path, database)
    subprocess.run([payproc_command(), "db", "init"], cwd=tmp_path, env=env, check=True, capture_output=True)
    port = free_port()
    # as from a terminal: SIGINT reaches the command even when this test run inherited it ignored
    process = subprocess.Popen([payproc_command(), "serve", "--port", str(port)], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert wait_for(process, f"http://127.0.0.1:{port}/api/context").status_code in (200, 400)
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    output = out.decode()
    assert process.returncode == 0, output
    assert f"Serving on http://127.0.0.1:{port}/ (Ctrl-C to stop)" in output
    assert "interrupted" not in output and "Traceback" not in output
