"""Helpers of the Celery tests: real brokers (RabbitMQ and Redis on
127.0.0.1, as .ci/run checks), real Celery worker processes the tests start
and stop, PostgreSQL, and the fake processor in a process of its own
(tests/renewals/shared_processor.py). The fixtures are in conftest.py (a
module named conftest cannot be imported from when several test
directories are collected in one run)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

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


def wait_until(condition: Callable[[], bool], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)
