"""Renewals and settling split across real processes on PostgreSQL, against
ONE fake processor in a process of its own (shared_processor.py).

What is checked, by counting at the processor and in the database (never
by timing the code): N worker processes split the due list and nobody is
charged twice; a worker killed mid-batch leaves its batch leased, and a run
after the lease charges it, still nobody twice; the processor sees at most
RATE_LIMIT requests in any one-second window however many processes run
(each process alone would allow RATE_LIMIT); settle processes split the
charges in progress and ask about each once.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from payproc.db import ChargeRow, Profile
from sqlalchemy import func, select, text

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import shared_processor  # noqa: E402
from pg_renewals import (  # noqa: E402
    TODAY,
    add_due,
    charge_arrivals,
    charges_per_customer,
    due_and_leased,
    wait_until,
)

pytestmark = pytest.mark.postgres


def start_workers(world: dict[str, Any], n: int, command: str = "renewals", **options: Any
                  ) -> list[subprocess.Popen[str]]:
    """``n`` worker processes that start working together, once all are up."""
    workers = [start_worker(world, command, wait_go="", **options) for _ in range(n)]
    for worker in workers:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    for worker in workers:
        go(worker)
    return workers


def go(worker: subprocess.Popen[str]) -> None:
    """Tell a worker started with ``wait_go`` (and ready) to start working."""
    assert worker.stdin is not None
    worker.stdin.write("go\n")
    worker.stdin.flush()


def start_worker(world: dict[str, Any], command: str = "renewals", **options: Any) -> subprocess.Popen[str]:
    args = [sys.executable, str(HERE / "pg_worker.py"), command, "--db", world["url"],
            "--processor", world["address"], "--account", world["account"]]
    for name, value in options.items():
        args += [f"--{name.replace('_', '-')}"] + ([str(value)] if value != "" else [])
    return subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(worker: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def test_three_processes_split_the_renewals_and_nobody_is_charged_twice(world: dict[str, Any]) -> None:
    ids = add_due(world, 90)
    workers = start_workers(world, 3, latency=50, concurrency=4, batch=5)
    results = [finish(worker) for worker in workers]

    assert sum(r["charged"] for r in results) == 90
    assert all(r["charged"] > 0 for r in results), results  # each process took a share
    assert charges_per_customer(world) == Counter(dict.fromkeys(ids, 1))
    assert len(charge_arrivals(world)) == 90  # one processor call per renewal: none duplicated
    app = world["app"]
    with app.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ChargeRow).where(ChargeRow.state == "done")) == 90
        assert set(session.scalars(select(Profile.renewal_due).where(Profile.id.in_(ids)))) == {date(2024, 4, 30)}
    assert app.check_books().balanced


def test_a_killed_workers_batch_is_charged_after_its_lease_and_nobody_twice(world: dict[str, Any]) -> None:
    ids = add_due(world, 40)
    # Loaded before the kill, so that its run is done well within the dead
    # batch's lease (8 s) even on a loaded machine; it starts on "go".
    survivor = start_worker(world, wait_go="", concurrency=4, batch=5, lease=3)
    victim = start_worker(world, latency=200, concurrency=2, batch=10, lease=8, rate=10)
    assert survivor.stdout is not None and survivor.stdout.readline().strip() == "ready"
    wait_until(lambda: len(charge_arrivals(world)) >= 3)  # it claimed a batch and is charging it
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    due, held = due_and_leased(world)
    assert held  # its claimed, unfinished renewals are still leased to it

    # Another worker takes everything else, but not the dead one's batch.
    go(survivor)
    assert finish(survivor)["charged"] == len(due - held)
    assert due_and_leased(world)[0] == held

    # Charges the dead worker had in flight keep the checkout's own lease
    # (2 minutes): as if it had passed, settle them first (the processor
    # may have done them). Then, once the renewal leases have passed on the
    # database's clock, runs pick the batch up (a charge the processor never
    # received was marked failed by settle: that attempt is counted and the
    # next one, after its lease, charges).
    app = world["app"]
    with app.db.transaction() as session:
        session.execute(text("UPDATE payproc_charge SET lease_until = now() - interval '1 second' "
                             "WHERE state = 'created'"))
    finish(start_worker(world, "settle"))
    for _ in range(3):
        wait_until(lambda: not due_and_leased(world)[1], timeout=30)
        finish(start_worker(world, concurrency=4, batch=5, lease=3))
        if not due_and_leased(world)[0]:
            break

    assert charges_per_customer(world) == Counter(dict.fromkeys(ids, 1))
    with app.db.transaction() as session:
        assert set(session.scalars(select(Profile.renewal_due).where(Profile.id.in_(ids)))) == {date(2024, 4, 30)}
        assert session.scalar(select(func.count()).select_from(ChargeRow).where(ChargeRow.state == "done")) == 40
    assert app.check_books().balanced


def test_the_rate_limit_is_global_across_processes(world: dict[str, Any]) -> None:
    rate, n = 10, 36
    add_due(world, n)
    # headroom 0.5: on this shared 2-core machine (load average up to 10 while
    # these tests ran) a request may reach the processor 100-250 ms later
    # after its grant than the one before it did; the limit must hold at the
    # processor, so the spacing (1.5 / 10 s) leaves room for that. Without a
    # shared limit, three processes would still send up to 30 in a second.
    workers = start_workers(world, 3, latency=50, concurrency=4, batch=4, rate=rate, headroom=0.5)
    results = [finish(worker) for worker in workers]

    assert sum(r["charged"] for r in results) == n
    assert all(r["charged"] > 0 for r in results), results
    arrivals = charge_arrivals(world)
    assert len(arrivals) == n
    # three processes at 10/s each would reach 30 in a second: the limit is shared
    assert shared_processor.peak_per_second(arrivals) <= rate
    # and it binds: n calls granted 1.5 / 10 s apart span about (n - 1) * 0.15 s
    assert max(arrivals) - min(arrivals) >= (n - 1) * 1.5 / rate - 0.5


def test_settle_processes_split_the_charges_in_progress(world: dict[str, Any]) -> None:
    """Charges whose answer was lost (the processor did them; 30 of them):
    three settle processes record each once and ask about each once."""
    ids = add_due(world, 30)
    service = shared_processor.connect(world["address"])
    service.backdoor(world["account"], "fail_next", ("timeout",) * 30, {"operation": "create_charge"})
    first = finish(start_worker(world, concurrency=4))
    assert first["unknown"] == 30
    app = world["app"]
    with app.db.transaction() as session:  # the checkout's lease passed (as if 2 minutes later)
        session.execute(text("UPDATE payproc_charge SET lease_until = NULL"))

    workers = start_workers(world, 3, "settle")
    settled = [finish(worker)["settled"] for worker in workers]

    assert sum(settled) == 30
    lookups = [m for _, m in service.arrivals(world["account"]) if m in ("retrieve_charge", "find_charge")]
    assert len(lookups) == 30  # each charge asked about once, by one of the three
    with app.db.transaction() as session:
        assert set(session.scalars(select(ChargeRow.state))) == {"done"}
    assert charges_per_customer(world) == Counter(dict.fromkeys(ids, 1))
    assert app.check_books().balanced


def test_a_claimed_batch_is_not_claimed_again_until_its_lease_passes(world: dict[str, Any]) -> None:
    from datetime import timedelta

    from payproc import claims

    add_due(world, 10)
    app = world["app"]
    first = claims.claim_renewals(app, TODAY, 4, timedelta(seconds=60))
    second = claims.claim_renewals(app, TODAY, 4, timedelta(seconds=60))
    third = claims.claim_renewals(app, TODAY, 4, timedelta(seconds=60))
    assert [len(first), len(second), len(third)] == [4, 4, 2]
    taken = [item.profile_id for item in first + second + third]
    assert len(set(taken)) == 10 and claims.claim_renewals(app, TODAY, 4, timedelta(seconds=60)) == []
    claims.release_renewals(app, [item.profile_id for item in first])
    assert [item.profile_id for item in claims.claim_renewals(app, TODAY, 10, timedelta(seconds=60))] == [
        item.profile_id for item in first]



def test_renewal_leases_says_when_the_leases_held_on_due_renewals_pass(world: dict[str, Any]) -> None:
    """What a Celery batch task that was redelivered waits for (payproc.integrations.celery)."""
    from datetime import timedelta

    from payproc import claims

    add_due(world, 6)
    app = world["app"]
    assert claims.renewal_leases(app, TODAY) is None  # nothing leased
    short = [item.profile_id for item in claims.claim_renewals(app, TODAY, 2, timedelta(seconds=60))]
    long = [item.profile_id for item in claims.claim_renewals(app, TODAY, 2, timedelta(seconds=600))]
    with app.db.transaction() as session:
        ends = dict(session.execute(select(Profile.id, Profile.renewal_lease_until)).all())

    found = claims.renewal_leases(app, TODAY)
    assert found is not None and found[0] == max(ends[i] for i in long) and 0 < found[1] <= 600
    earlier = claims.renewal_leases(app, TODAY, ending_by=found[0] - timedelta(seconds=1))
    assert earlier is not None and earlier[0] == max(ends[i] for i in short) and 0 < earlier[1] <= 60
    assert claims.renewal_leases(app, TODAY, ending_by=earlier[0] - timedelta(seconds=1)) is None
    assert claims.renewal_leases(app, TODAY - timedelta(days=1)) is None  # not due that day
    claims.release_renewals(app, short + long)
    assert claims.renewal_leases(app, TODAY) is None
