"""Helpers of the Celery tests: real brokers (RabbitMQ and Redis on
127.0.0.1, as .ci/run checks), real Celery worker processes the tests start
and stop, PostgreSQL, and the fake processor in a process of its own
(tests/renewals/shared_processor.py). The fixtures are in conftest.py (a
module named conftest cannot be imported from when several test
directories are collected in one run)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent

BROKERS = {
    "rabbitmq": ("127.0.0.1", 5672, "amqp://guest:guest@127.0.0.1:5672//"),
    # PAYPROC_TEST_REDIS_URL: another database number, for test runs that
    # share the server (Redis keeps every queue's unacknowledged messages in
    # one hash per database, and a worker puts back any it finds overdue).
    "redis": ("127.0.0.1", 6379, os.environ.get("PAYPROC_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"),
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


def celery_env(world: dict[str, Any], broker: str, **settings: str) -> dict[str, str]:
    """What the worker processes of a test are told (celery_app.py reads
    it): the broker, the test's database and processor account, a queue of
    its own, and ``settings`` (``PAYPROC_CELERY_*``)."""
    return {"PAYPROC_CELERY_BROKER": broker_url(broker), "PAYPROC_CELERY_DB": world["url"],
            "PAYPROC_CELERY_PROCESSOR": world["address"], "PAYPROC_CELERY_ACCOUNT": world["account"],
            "PAYPROC_CELERY_QUEUE": f"payproc-test-{uuid.uuid4().hex[:10]}", **settings}


class Workers:
    """Celery worker (and beat) processes started for one test."""

    def __init__(self) -> None:
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "celery_app", *args],
            cwd=HERE, env={**os.environ, **env, "PYTHONPATH": str(HERE)},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True)  # a process group of its own: kill() takes the pool with it
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes], pool: list[int] | None = None,
             sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to the worker and its pool processes at once (as
        when its machine or container dies: nothing of it acknowledges,
        rejects or releases anything), or only to the ``pool`` processes
        given (as the kernel's OOM killer may: the worker is left to say so)."""
        if pool is None:
            os.killpg(process.pid, sig)
            if sig == signal.SIGKILL:
                process.wait()
        else:
            for pid in pool:
                os.kill(pid, sig)

    def worker(self, env: dict[str, str], name: str, concurrency: int = 2,
               queue: str | None = None) -> subprocess.Popen[bytes]:
        """A worker named ``name`` taking tasks from ``queue`` (the test's
        queue by default; tasks it sends go to the test's queue)."""
        return self.start(env, "worker", "-Q", queue or env["PAYPROC_CELERY_QUEUE"], "-n", f"{name}@%h",
                          "--pool", "prefork", "-c", str(concurrency), "-l", "WARNING",
                          "--without-gossip", "--without-mingle", "--without-heartbeat")

    def stop(self, now: bool = False) -> list[str]:
        """Stop every process; returns what each wrote on stderr. ``now``:
        SIGKILL, for a test that is done with them (a warm shutdown takes
        seconds on RabbitMQ)."""
        errors = []
        for process in self.processes:
            if process.poll() is None and now:
                os.killpg(process.pid, signal.SIGKILL)
            elif process.poll() is None:
                process.send_signal(signal.SIGTERM)  # warm shutdown: finish the task at hand
        for process in self.processes:
            try:
                _, err = process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                _, err = process.communicate()
            errors.append(err.decode("utf-8", "replace"))
        return errors


def task_runs(path: Path) -> list[dict[str, Any]]:
    """The task runs the workers recorded (celery_app.py, PAYPROC_CELERY_RUNS),
    in the order they started."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]
