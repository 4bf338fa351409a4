"""The single entry point of the benchmarks (the ``bench`` nox session):

    python benchmarks/run.py                  # everything, default sizes
    python benchmarks/run.py --quick          # small sizes (a smoke run)
    python benchmarks/run.py checkout renewals  # some targets only

Targets: overhead, checkout (payproc and the djaodjin-saas peer side by side,
SQLite and PostgreSQL, 1/2/4 workers), renewals, renewals_pg (1/2/4 worker
processes and Celery workers on PostgreSQL, one shared fake processor),
startup, webhooks, migrations (what init_db costs with the Alembic migrations).
Every figure is a median over repeated runs with its spread; ratios are
taken between runs made in the same invocation, alternated. Results go to
``benchmarks/results/latest.json`` and a summary is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import POSTGRES_URL, postgres_available, sqlite_url, summary  # noqa: E402

PEER_VENV = Path(os.environ.get("PAYPROC_PEER_VENV", "/work/peer-venv"))
PEER_REQUIREMENTS = ["djaodjin-saas==1.3.1", "six", "psycopg[binary]"]


def ensure_peer() -> Path:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
    check = subprocess.run([str(python), "-c", "import saas, six, psycopg"], capture_output=True)
    if check.returncode:
        subprocess.run([str(PEER_VENV / "bin" / "pip"), "install", "-q", *PEER_REQUIREMENTS], check=True)
    return python


def peer(db: str, workers: int, n: int) -> dict[str, Any]:
    cmd = [str(ensure_peer()), str(HERE / "peer" / "bench_peer.py"), "--n", str(n), "--workers", str(workers)]
    if db != "sqlite":
        cmd += ["--db", POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:  # e.g. "database is locked": Django's SQLite under several writers
        lines = [line for line in out.stderr.strip().splitlines() if line and not line.startswith(" ")]
        return {"error": lines[-1] if lines else f"exit status {out.returncode}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_checkout(sizes: dict[str, int], repeats: int) -> dict[str, Any]:
    import bench_checkout as bc

    dbs = ["sqlite"] + (["postgresql"] if postgres_available() else [])
    out: dict[str, Any] = {}
    for db in dbs:
        for workers in (1, 2, 4):
            ours, theirs = [], []
            for _ in range(repeats):  # alternate payproc and peer runs
                url = sqlite_url() if db == "sqlite" else POSTGRES_URL
                ours.append(bc.run(url, workers=workers, n=sizes["checkout"]))
                theirs.append(peer(db, workers, sizes["peer"]))
            rate = summary([r["charges_per_s"] for r in ours])
            entry: dict[str, Any] = {"payproc_charges_per_s": rate,
                                     "payproc_statements_per_charge": ours[0]["statements_per_charge"]}
            pairs = [(a, b) for a, b in zip(ours, theirs, strict=True) if "error" not in b]
            if pairs:
                entry["peer_charges_per_s"] = summary([b["charges_per_s"] for _, b in pairs])
                entry["ratio_payproc_over_peer"] = summary([a["charges_per_s"] / b["charges_per_s"] for a, b in pairs])
                entry["peer_statements_per_charge"] = pairs[0][1]["statements_per_charge"]
            errors = [b["error"] for b in theirs if "error" in b]
            if errors:
                entry["peer_errors"] = errors
            out[f"{db}/{workers}w"] = entry
            _log(f"checkout {db} {workers}w: {json.dumps(entry, default=str)}")
    return out


def bench_overhead(sizes: dict[str, int], repeats: int) -> dict[str, Any]:
    import bench_overhead

    return bench_overhead.run(sizes["overhead_fake"], sizes["overhead_http"], repeats)


def bench_renewals(sizes: dict[str, int], repeats: int) -> dict[str, Any]:
    import bench_renewals

    out: dict[str, Any] = {"full": bench_renewals.run(sizes["renewals"], 8)}
    _log(f"renewals {out['full']}")
    for concurrency in (8, 16, 32):
        runs = [bench_renewals.run(sizes["renewals_small"], concurrency) for _ in range(repeats)]
        out[f"n{sizes['renewals_small']}_c{concurrency}"] = {
            "wall_over_bound": summary([r["wall_over_bound"] for r in runs]),
            "cpu_ms_per_renewal": summary([r["cpu_ms_per_renewal"] for r in runs]), "runs": runs}
        _log(f"renewals c={concurrency}: {[r['wall_over_bound'] for r in runs]}")
    return out


def bench_renewals_pg(sizes: dict[str, int], repeats: int) -> dict[str, Any]:
    import bench_renewals_pg

    if not postgres_available():
        return {"error": f"PostgreSQL does not answer at {POSTGRES_URL}"}
    out: dict[str, Any] = {}
    for processes, celery in ((1, False), (2, False), (4, False), (4, True)):
        key = f"{'celery' if celery else 'processes'}_{processes}"
        out[key] = bench_renewals_pg.run(sizes["renewals_pg"], processes, celery=celery, **RENEWALS_PG)
        _log(f"renewals_pg {key}: {out[key]}")
    return out


def bench_startup(sizes: dict[str, int], repeats: int) -> dict[str, Any]:
    import bench_startup

    return bench_startup.run(sizes["startup"])


def bench_webhooks(sizes: dict[str, int], repeats: int) -> dict[str, Any]:
    import bench_webhooks

    if not postgres_available():
        return {"skipped": f"PostgreSQL not reachable at {POSTGRES_URL}"}
    out = {}
    for workers in (1, 2, 4):
        runs = [bench_webhooks.run(POSTGRES_URL, workers=workers, n=sizes["webhooks"]) for _ in range(repeats)]
        out[f"{workers}w"] = {"new_events_per_s": summary([r["new_events_per_s"] for r in runs]),
                              "redeliveries_per_s": summary([r["redeliveries_per_s"] for r in runs])}
        _log(f"webhooks {workers}w: {out[f'{workers}w']['new_events_per_s']['median']:.1f} new/s")
    return out


def bench_migrations(sizes: dict[str, int], repeats: int) -> dict[str, Any]:
    import bench_migrations

    return bench_migrations.run(sizes["migrations"])


TARGETS = {"overhead": bench_overhead, "checkout": bench_checkout, "renewals": bench_renewals,
           "renewals_pg": bench_renewals_pg,
           "startup": bench_startup, "webhooks": bench_webhooks, "migrations": bench_migrations}
#: The renewals_pg options: 16 threads per process, a global limit of 250
#: processor calls per second (it binds from 2 processes on: 100,000 renewals
#: take at least 400 s), batches of 64 claimed at a time, 100 ms per call.
RENEWALS_PG = {"concurrency": 16, "rate": 250.0, "batch": 64, "latency_ms": 100}
SIZES = {
    "default": {"checkout": 300, "peer": 100, "overhead_fake": 3000, "overhead_http": 200, "renewals": 10_000,
                "renewals_small": 800, "renewals_pg": 100_000, "startup": 15, "webhooks": 300, "migrations": 20},
    "quick": {"checkout": 50, "peer": 20, "overhead_fake": 300, "overhead_http": 20, "renewals": 200,
              "renewals_small": 100, "renewals_pg": 200, "startup": 3, "webhooks": 30, "migrations": 3},
}


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("targets", nargs="*", default=[], help=f"some of: {', '.join(TARGETS)} (default: all)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--output", type=Path, default=HERE / "results" / "latest.json")
    options = parser.parse_args(argv)
    unknown = set(options.targets) - set(TARGETS)
    if unknown:
        parser.error(f"unknown targets {sorted(unknown)}: choose from {', '.join(TARGETS)}")
    sizes = SIZES["quick" if options.quick else "default"]
    repeats = options.repeats or (1 if options.quick else 3)
    results: dict[str, Any] = {"machine": _machine(), "repeats": repeats, "sizes": sizes}
    for name in options.targets or list(TARGETS):
        began = time.perf_counter()
        _log(f"== {name}")
        try:
            results[name] = TARGETS[name](sizes, repeats)
        except Exception as error:  # report it, run the other targets
            results[name] = {"error": f"{type(error).__name__}: {error}"}
        results[name + "_seconds"] = round(time.perf_counter() - began, 1)
        options.output.parent.mkdir(parents=True, exist_ok=True)
        options.output.write_text(json.dumps(results, indent=1, default=str))
    print(json.dumps(results, indent=1, default=str))
    return 0


def _machine() -> dict[str, Any]:
    import platform

    cpu = "unknown"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version(), "platform": platform.platform()}


if __name__ == "__main__":
    raise SystemExit(main())
