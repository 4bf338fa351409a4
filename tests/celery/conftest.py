"""Real brokers (RabbitMQ and Redis on 127.0.0.1, as .ci/run checks), real
Celery worker processes the tests start and stop, PostgreSQL, and the fake
processor in a process of its own (tests/renewals/shared_processor.py)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "renewals"))

import shared_processor  # noqa: E402
from pg_worker import make_app  # noqa: E402

BROKERS = {
    "rabbitmq": ("127.0.0.1", 5672, "amqp://guest:guest@127.0.0.1:5672//"),
    "redis": ("127.0.0.1", 6379, "redis://127.0.0.1:6379/0"),
}


def broker_url(name: str) -> str:
    host, port, url = BROKERS[name]
    try:
        socket.create_connection((host, port), timeout=3).close()
    except OSError:
        message = f"{name} does not answer on {host}:{port} (.ci/run starts it)"
        if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture(scope="module")
def processor_server() -> Iterator[str]:
    server = shared_processor.start()
    yield server.address
    server.shutdown()


@pytest.fixture
def world(postgres_url: str, processor_server: str) -> Iterator[dict[str, Any]]:
    account = f"acct_celery_{uuid.uuid4().hex[:10]}"
    app = make_app(postgres_url, processor_server, account)
    app.db.drop_all()
    app.init_db()
    env = {"PAYPROC_CELERY_DB": postgres_url, "PAYPROC_CELERY_PROCESSOR": processor_server,
           "PAYPROC_CELERY_ACCOUNT": account, "PAYPROC_CELERY_QUEUE": f"payproc-test-{uuid.uuid4().hex[:10]}"}
    yield {"url": postgres_url, "address": processor_server, "account": account, "app": app, "env": env}
    app.db.dispose()


class Workers:
    """Celery worker (and beat) processes started for one test."""

    def __init__(self) -> None:
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "celery_app", *args],
            cwd=HERE, env={**os.environ, **env, "PYTHONPATH": str(HERE)},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.processes.append(process)
        return process

    def worker(self, env: dict[str, str], name: str, concurrency: int = 2) -> subprocess.Popen[bytes]:
        return self.start(env, "worker", "-Q", env["PAYPROC_CELERY_QUEUE"], "-n", f"{name}@%h",
                          "--pool", "prefork", "-c", str(concurrency), "-l", "WARNING",
                          "--without-gossip", "--without-mingle", "--without-heartbeat")

    def stop(self) -> list[str]:
        errors = []
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)  # warm shutdown: finish the task at hand
        for process in self.processes:
            try:
                _, err = process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                _, err = process.communicate()
            errors.append(err.decode("utf-8", "replace"))
        return errors


@pytest.fixture
def workers() -> Iterator[Workers]:
    started = Workers()
    yield started
    started.stop()


def wait_until(condition: Callable[[], bool], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)
