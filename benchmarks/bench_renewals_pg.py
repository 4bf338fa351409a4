"""Renewals split across worker processes on PostgreSQL (claimed batches,
one global rate limit), against ONE fake processor in a process of its own
that takes ``latency_ms`` to answer each request and records when each
arrived (tests/renewals/shared_processor.py).

For 1, 2, 4 ``payproc`` worker processes (tests/renewals/pg_worker.py,
started together), and for Celery workers (payproc.integrations.celery on
Redis): wall time from the start signal until nothing is due, against the
bound ``max(n * latency / (processes * concurrency), n / rate)``; customers
charged more than once (from the processor's own records); the most
requests the processor saw in any one-second window, against the limit.
Not timed tests: figures, printed and stored by run.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from _common import POSTGRES_URL

ROOT = Path(__file__).resolve().parents[1]
WORKER = ROOT / "tests" / "renewals" / "pg_worker.py"
CELERY_DIR = ROOT / "tests" / "celery"
sys.path.insert(0, str(ROOT / "tests" / "renewals"))

import shared_processor  # noqa: E402
from pg_worker import make_app  # noqa: E402

DUE = date(2024, 3, 31)


def _setup(address: str, account: str, n: int) -> Any:
    from payproc.db import Profile
    from sqlalchemy import insert

    app = make_app(POSTGRES_URL, address, account)
    app.db.drop_all()
    app.init_db()
    cards = shared_processor.connect(address).add_customers(account, n)
    with app.db.transaction() as session:
        session.execute(insert(Profile), [
            {"slug": f"r{i:06d}", "printable_name": f"r{i}", "processor_card_key": card,
             "renewal_amount": 1500, "renewal_currency": "usd", "renewal_due": DUE}
            for i, card in enumerate(cards)])
    return app


def _still_due(app: Any) -> int:
    from payproc.db import Profile
    from sqlalchemy import func, select

    with app.db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(Profile).where(Profile.renewal_due == DUE)) or 0)


def _start_workers(address: str, account: str, processes: int, options: dict[str, Any]) -> list[Any]:
    workers = []
    for _ in range(processes):
        args = [sys.executable, str(WORKER), "renewals", "--db", POSTGRES_URL, "--processor", address,
                "--account", account, "--wait-go"]
        for name, value in options.items():
            args += [f"--{name}", str(value)]
        workers.append(subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))
    for worker in workers:
        assert worker.stdout.readline().strip() == "ready"
    return workers


def _celery_workers(address: str, account: str, processes: int, options: dict[str, Any], queue: str) -> list[Any]:
    env = {**os.environ, "PYTHONPATH": str(CELERY_DIR), "PAYPROC_CELERY_BROKER": "redis://127.0.0.1:6379/0",
           "PAYPROC_CELERY_QUEUE": queue, "PAYPROC_CELERY_DB": POSTGRES_URL, "PAYPROC_CELERY_PROCESSOR": address,
           "PAYPROC_CELERY_ACCOUNT": account, "PAYPROC_CELERY_LATENCY_MS": str(options["latency"]),
           "PAYPROC_CELERY_CONCURRENCY": str(options["concurrency"]), "PAYPROC_CELERY_BATCH": str(options["batch"]),
           "PAYPROC_CELERY_RATE": str(options["rate"]), "PAYPROC_CELERY_PARALLEL": str(processes)}
    return [subprocess.Popen([sys.executable, "-m", "celery", "-A", "celery_app", "worker", "-Q", queue,
                              "-n", f"bench{i}-{queue}@%h", "--pool", "prefork", "-c", "1", "-l", "WARNING",
                              "--without-gossip", "--without-mingle", "--without-heartbeat"],
                             cwd=CELERY_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for i in range(processes)]


def run(n: int, processes: int, *, concurrency: int = 8, rate: float = 100.0, latency_ms: int = 100,
        batch: int = 16, celery: bool = False) -> dict[str, Any]:
    server = shared_processor.start()
    account = f"acct_bench_{uuid.uuid4().hex[:8]}"
    load_before = os.getloadavg()
    try:
        app = _setup(server.address, account, n)
        options = {"latency": latency_ms, "concurrency": concurrency, "rate": rate, "batch": batch}
        if celery:
            queue = f"payproc-bench-{uuid.uuid4().hex[:8]}"
            workers = _celery_workers(server.address, account, processes, options, queue)
            sys.path.insert(0, str(CELERY_DIR))
            from celery_app import make_celery

            time.sleep(8)  # let the workers connect before the clock starts (start-up is not renewals)
            _, tasks = make_celery("redis://127.0.0.1:6379/0", queue)
            began = time.perf_counter()
            tasks.start_renewals.apply_async(kwargs={"today": DUE.isoformat(), "parallel_batches": processes},
                                             queue=queue)
            while _still_due(app):
                time.sleep(0.2)
            wall = time.perf_counter() - began
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait()
        else:
            workers = _start_workers(server.address, account, processes, options)
            began = time.perf_counter()
            for worker in workers:
                worker.stdin.write("go\n")
                worker.stdin.flush()
            for worker in workers:
                worker.communicate()
            wall = time.perf_counter() - began
        left = _still_due(app)
        service = shared_processor.connect(server.address)
        per_customer = Counter(int(key.split("_")[1]) for key in service.succeeded_keys(account))
        arrivals = [at for at, method in service.arrivals(account) if method == "create_charge"]
        app.db.dispose()
    finally:
        server.shutdown()
    latency_bound = n * latency_ms / 1000 / (processes * concurrency)
    rate_bound = n / rate
    bound = max(latency_bound, rate_bound)
    return {
        "n": n, "processes": processes, "via": "celery" if celery else "payproc renewals", "concurrency": concurrency,
        "rate_limit": rate, "latency_ms": latency_ms, "batch": batch, "wall_s": round(wall, 2),
        "bound_s": round(bound, 2), "bound_by": "rate" if rate_bound >= latency_bound else "latency",
        "wall_over_bound": round(wall / bound, 3), "renewals_per_s": round(n / wall, 1),
        "still_due": left, "charged": sum(per_customer.values()),
        "customers_charged_twice": sum(1 for count in per_customer.values() if count > 1),
        "processor_requests": len(arrivals), "peak_requests_in_1s": shared_processor.peak_per_second(arrivals),
        "load_before": [round(x, 2) for x in load_before], "load_after": [round(x, 2) for x in os.getloadavg()],
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(int(sys.argv[1]), int(sys.argv[2]), celery=len(sys.argv) > 3 and sys.argv[3] == "celery")))
