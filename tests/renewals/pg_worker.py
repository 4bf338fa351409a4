"""One payproc worker process against the shared fake processor: what the
multi-process tests and benchmarks start (``python pg_worker.py renewals …``)
several times at once. Prints its summary as one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from shared_processor import SharedFakeBackend  # noqa: E402


def make_app(database_url: str, address: str, account: str, latency_ms: int = 0, **renewals: Any) -> Any:
    """A Payproc on ``database_url`` whose fake backend talks to the shared
    processor at ``address``."""
    from payproc.app import Payproc
    from payproc.backend import Backend
    from payproc.settings import BackendSettings, load_settings

    section = {"BACKEND": "fake", "ACCOUNT": account, "LATENCY_MS": latency_ms, "SHARED_PROCESSOR": address,
               "WEBHOOK_SECRET": "whsec_shared"}
    settings = load_settings(DATABASE_URL=database_url, PROCESSOR=section, RENEWALS=renewals)
    return Payproc(settings, backend=Backend("fake", SharedFakeBackend, BackendSettings(**section), None, ()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=("renewals", "settle"))
    parser.add_argument("--db", required=True)
    parser.add_argument("--processor", required=True)
    parser.add_argument("--account", required=True)
    parser.add_argument("--latency", type=int, default=0)
    parser.add_argument("--today", default="2024-03-31")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--batch", type=int)
    parser.add_argument("--lease", type=float, default=300.0)
    parser.add_argument("--headroom", type=float, default=0.05)
    parser.add_argument("--wait-go", action="store_true",
                        help="print 'ready', then start when a line arrives on stdin (workers begin together)")
    args = parser.parse_args(argv)
    renewals: dict[str, Any] = {"CONCURRENCY": args.concurrency, "RATE_LIMIT": args.rate,
                                "LEASE_SECONDS": args.lease, "RATE_HEADROOM": args.headroom}
    if args.batch:
        renewals["BATCH_SIZE"] = args.batch
    app = make_app(args.db, args.processor, args.account, args.latency, **renewals)
    app.backend  # noqa: B018 - loaded before the start line
    if args.wait_go:
        print("ready", flush=True)
        sys.stdin.readline()
    if args.command == "renewals":
        from payproc.renewals import run_renewals

        summary = run_renewals(app, today=date.fromisoformat(args.today), progress=False)
        out = {"charged": summary.charged, "declined": summary.declined, "unknown": summary.unknown,
               "skipped": summary.skipped, "failed": summary.failed, "elapsed": summary.elapsed}
    else:
        from payproc.renewals import default_limiter, limited

        out = {"settled": len(limited(app, default_limiter(app, args.rate)).settle().charges)}
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
