"""``payproc.web.serve`` in its own process, as ``payproc serve`` runs it."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import time

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_creates_the_tables_and_the_demo_customer_then_serves(tmp_path):
    port = free_port()
    script = textwrap.dedent(f"""
        from payproc import Payproc
        from payproc.web import serve
        app = Payproc(DATABASE_URL="sqlite:///{tmp_path}/serve.sqlite3",
                      PROCESSOR={{"BACKEND": "fake", "WEBHOOK_SECRET": "whsec_serve"}})
        serve(app, port={port}, log_level="warning")
    """)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                context = httpx.get(f"{base}/api/context", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        assert context.status_code == 200
        assert context.json()["customer"] == "demo"
        assert httpx.get(f"{base}/", timeout=5).status_code == 200
        paid = httpx.post(f"{base}/api/checkout", json={"amount_major": "3.00", "currency": "usd",
                                                        "stripeToken": "tok_visa"}, timeout=10)
        assert paid.status_code == 200 and paid.json()["state"] == "done"
    finally:
        process.terminate()
        process.wait(timeout=10)
