"""payproc's Celery tasks on real brokers with real worker processes.

Renewals fan out by claimed batch over two worker processes (each a prefork
pool of two), on RabbitMQ and on Redis: every due customer is charged once,
and the fake processor received one request per renewal. Celery beat runs
settle on its schedule. A webhook delivery is verified and stored by the web
endpoint, applied by a task, and applied once however often it is delivered
and however often the task runs. A worker SIGKILLed mid-batch and
mid-webhook (the whole worker, on each broker, or only its pool processes)
loses nothing and doubles nothing: both tasks come back, the dead batch is
charged once its lease passes, with no new start.
"""

from __future__ import annotations

import signal
import socket
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from payproc.db import ChargeRow, LedgerRow, Profile, WebhookInboxRow
from payproc.errors import OutcomeUnknown
from payproc.types import EventType
from payproc_fake.webhooks import build_event
from sqlalchemy import func, insert, select, text, update
from starlette.testclient import TestClient

import shared_processor
from celery_app import make_celery
from celery_support import Workers, celery_env, task_runs
from pg_renewals import TODAY, add_due, charge_arrivals, charges_per_customer, due_and_leased, wait_until


def still_due(world: dict[str, Any]) -> int:
    return len(due_and_leased(world)[0])


def charge_with_answer_lost(world: dict[str, Any]) -> tuple[int, str]:
    """A customer with no renewal due, charged 15.00 USD at the processor
    whose answer was lost: the charge stays ``created`` (outcome unknown)
    until a webhook says it succeeded. Its processor key is recorded, as a
    backend whose processor names the charge up front would have. Returns
    the charge's id and processor key."""
    app, service = world["app"], shared_processor.connect(world["address"])
    (card,) = service.add_customers(world["account"], 1)
    with app.db.transaction() as session:
        session.execute(insert(Profile).values(slug="hook", printable_name="hook", processor_card_key=card))
    service.backdoor(world["account"], "fail_next", ("timeout",), {"operation": "create_charge"})
    with pytest.raises(OutcomeUnknown):
        app.checkout("hook", 1500, "usd", None, idempotency_key="hook-1", off_session=True)
    (charge_key,) = [c["id"] for c in service.backdoor(world["account"], "list_charges")
                     if c["idempotency_key"] == "hook-1"]
    with app.db.transaction() as session:
        charge_id = session.scalar(select(ChargeRow.id).where(ChargeRow.idempotency_key == "hook-1"))
        session.execute(update(ChargeRow).where(ChargeRow.id == charge_id).values(processor_key=charge_key))
    return charge_id, charge_key


def succeeded_event(charge_key: str) -> tuple[bytes, dict[str, str]]:
    return build_event(EventType.CHARGE_SUCCEEDED, charge_key, secret="whsec_shared", amount=1500, currency="usd")


@pytest.mark.parametrize("broker", ["rabbitmq", "redis"])
def test_renewals_fan_out_by_claimed_batch_across_workers(world: dict[str, Any], workers: Workers,
                                                          broker: str) -> None:
    env = celery_env(world, broker, PAYPROC_CELERY_LATENCY_MS="50")
    ids = add_due(world, 60)
    workers.worker(env, "one")
    workers.worker(env, "two")
    _, tasks = make_celery(env["PAYPROC_CELERY_BROKER"], env["PAYPROC_CELERY_QUEUE"])

    tasks.start_renewals.apply_async(kwargs={"today": TODAY.isoformat()}, queue=env["PAYPROC_CELERY_QUEUE"])
    wait_until(lambda: still_due(world) == 0)

    assert charges_per_customer(world) == Counter(dict.fromkeys(ids, 1))
    arrivals = [m for _, m in shared_processor.connect(world["address"]).arrivals(world["account"])]
    assert arrivals.count("create_charge") == 60  # one processor request per renewal
    with world["app"].db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ChargeRow).where(ChargeRow.state == "done")) == 60
    assert world["app"].check_books().balanced


def test_beat_settles_charges_on_its_schedule(world: dict[str, Any], workers: Workers) -> None:
    env = celery_env(world, "redis", PAYPROC_CELERY_SETTLE_EVERY="1")
    add_due(world, 3)
    service = shared_processor.connect(world["address"])
    service.backdoor(world["account"], "fail_next", ("timeout",) * 3, {"operation": "create_charge"})
    from payproc.renewals import run_renewals

    assert run_renewals(world["app"], today=TODAY, progress=False).unknown == 3  # charged, answers lost
    with world["app"].db.transaction() as session:  # the checkout's lease passed (as if 2 minutes later)
        session.execute(text("UPDATE payproc_charge SET lease_until = NULL"))

    workers.worker(env, "settler", concurrency=1)
    beat_dir = env["PAYPROC_CELERY_QUEUE"]
    workers.start(env, "beat", "-l", "WARNING", "-s", f"/tmp/{beat_dir}-schedule")

    def settled() -> bool:
        with world["app"].db.transaction() as session:
            return set(session.scalars(select(ChargeRow.state))) == {"done"}

    wait_until(settled)  # nobody sent the task: beat did
    assert world["app"].check_books().balanced


def test_a_deferred_webhook_is_applied_once(world: dict[str, Any], workers: Workers) -> None:
    from payproc.web import create_app

    env = celery_env(world, "rabbitmq")
    app = world["app"]
    _, charge_key = charge_with_answer_lost(world)
    _, tasks = make_celery(env["PAYPROC_CELERY_BROKER"], env["PAYPROC_CELERY_QUEUE"])
    client = TestClient(create_app(app, page=False, defer_webhooks=tasks.defer_webhook))
    body, headers = succeeded_event(charge_key)

    first = client.post("/webhooks/fake", content=body, headers=headers)
    again = client.post("/webhooks/fake", content=body, headers=headers)  # redelivered before any task ran
    forged = client.post("/webhooks/fake", content=body, headers={**headers, "payproc-fake-signature": "t=1,v1=00"})

    assert first.status_code == again.status_code == 202 and first.json()["status"] == "queued"
    assert forged.status_code == 400
    inbox_id = first.json()["inbox_id"]
    assert again.json()["inbox_id"] == inbox_id
    with app.db.transaction() as session:  # stored, not applied: no worker runs yet
        assert session.scalar(select(ChargeRow.state)) == "created"
        assert session.scalar(select(func.count()).select_from(WebhookInboxRow)) == 1
    tasks.process_webhook.apply_async((inbox_id,), queue=env["PAYPROC_CELERY_QUEUE"])  # a third run

    workers.worker(env, "hooks")

    def processed() -> bool:
        with app.db.transaction() as session:
            return session.scalar(select(WebhookInboxRow.processed_at)) is not None

    wait_until(processed)
    workers.stop()  # every queued run has been taken by now or is dropped with the queue
    with app.db.transaction() as session:
        charge = session.scalar(select(ChargeRow))
        assert charge is not None and charge.state == "done"
        booked = session.scalar(select(func.count()).select_from(LedgerRow).where(LedgerRow.charge_id == charge.id))
        assert session.scalar(select(WebhookInboxRow.outcome)) == "applied"
    assert booked and booked == len(list(_payment_rows(app, charge.id)))
    latest = client.post("/webhooks/fake", content=body, headers=headers)  # delivered once more, later
    assert latest.status_code == 202 and latest.json()["status"] == "duplicate"
    assert app.check_books().balanced


def _payment_rows(app: Any, charge_id: int) -> list[Any]:
    """The ledger rows of one payment (a second application would double them)."""
    with app.db.transaction() as session:
        rows = session.execute(select(LedgerRow.orig_account, LedgerRow.dest_account)
                               .where(LedgerRow.charge_id == charge_id)).all()
    assert len(rows) == len(set(rows)), rows  # no transaction booked twice
    return list(rows)


def blocked_by(app: Any, holder: int) -> bool:
    """Whether a database session waits for a lock that session ``holder`` holds."""
    with app.db.transaction() as session:
        return bool(session.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE :h = ANY(pg_blocking_pids(pid))"),
                                   {"h": holder}))


def ready(runs: Path, name: str) -> bool:
    """Whether the worker ``name`` recorded that it is ready (celery_app.py)."""
    return any(str(run.get("ready", "")).startswith(f"{name}@") for run in task_runs(runs))


def leases_and_charges(world: dict[str, Any]) -> tuple[dict[int, datetime], dict[int, str]]:
    """The due renewals under a lease now, with when it passes; every charge recorded, with its state."""
    with world["app"].db.transaction() as session:
        leased = dict(session.execute(select(Profile.id, Profile.renewal_lease_until).where(
            Profile.renewal_due == TODAY, Profile.renewal_lease_until > func.now())).all())
        return leased, dict(session.execute(select(ChargeRow.id, ChargeRow.state)).all())


def taken_after_lease(world: dict[str, Any], held: dict[int, datetime], recorded: dict[int, str]) -> int:
    """Check that the renewals of ``held`` (a dead worker's batch, when its
    lease passes) were taken by claims made after that: those it had not
    started were charged after it, those it had in flight (``created``)
    were booked after it. Returns how many were checked."""
    checked = 0
    with world["app"].db.transaction() as session:
        rows = session.execute(
            select(ChargeRow.id, ChargeRow.customer_id, ChargeRow.created_at, func.min(LedgerRow.created_at))
            .join(LedgerRow, LedgerRow.charge_id == ChargeRow.id)
            .where(ChargeRow.customer_id.in_(held)).group_by(ChargeRow.id)).all()
    for charge, customer, created, booked in rows:
        if charge not in recorded:
            assert created >= held[customer], (customer, created, held[customer])
            checked += 1
        elif recorded[charge] == "created":
            assert booked >= held[customer], (customer, booked, held[customer])
            checked += 1
    return checked


#: What the test loses mid-task: a whole worker (SIGKILL to it and its pool
#: at once: its machine or container died; on Redis its unacknowledged tasks
#: come back after the visibility timeout), or only the pool processes
#: running the tasks (the OOM killer's way: the worker sees them die, and
#: reject_on_worker_lost makes it give the tasks back instead of failing them).
KILLS = [pytest.param("rabbitmq", "worker", id="rabbitmq-worker"), pytest.param("redis", "worker", id="redis-worker"),
         pytest.param("rabbitmq", "pool", id="rabbitmq-pool")]


@pytest.mark.parametrize(("broker", "lost"), KILLS)
def test_a_worker_killed_mid_batch_and_mid_webhook(world: dict[str, Any], workers: Workers, tmp_path: Path,
                                                   broker: str, lost: str) -> None:
    """A worker is SIGKILLed while it charges a claimed batch of renewals
    (charges in flight at the processor) and while it applies a deferred
    webhook (applied and committed, the inbox row not yet marked). Both
    tasks are redelivered; every due customer is charged exactly once (the
    processor's own records), the dead batch after its lease and without
    anyone starting the renewals again, the event is applied once, the books
    balance and nothing is left due."""
    from payproc.web import create_app

    runs = tmp_path / "runs.jsonl"
    env = celery_env(
        world, broker, PAYPROC_CELERY_RUNS=str(runs),
        # one chain of batches of 5 charged 2 at a time, 400 ms a request: the kill lands mid-batch
        PAYPROC_CELERY_PARALLEL="1", PAYPROC_CELERY_BATCH="5", PAYPROC_CELERY_CONCURRENCY="2",
        PAYPROC_CELERY_LATENCY_MS="400",
        # shortened, in the same order: the renewal lease (5 minutes) above the charge lease (2 minutes:
        # a charge in flight at the kill is free again when the claim after the renewal lease comes),
        # and Redis's visibility timeout (an hour) above both
        PAYPROC_CELERY_LEASE="3", PAYPROC_CELERY_CHARGE_LEASE="1", PAYPROC_CELERY_VISIBILITY_TIMEOUT="8")
    url, queue = env["PAYPROC_CELERY_BROKER"], env["PAYPROC_CELERY_QUEUE"]
    app = world["app"]
    ids = add_due(world, 8)  # the batch the kill lands in, and one more
    hook_charge, charge_key = charge_with_answer_lost(world)
    celery, tasks = make_celery(url, queue)
    stored: list[Any] = []  # the deliveries the endpoint stored, sent to the task below
    client = TestClient(create_app(app, page=False, defer_webhooks=stored.append))
    body, headers = succeeded_event(charge_key)
    assert client.post("/webhooks/fake", content=body, headers=headers).status_code == 202
    (delivery,) = stored
    before = len(charge_arrivals(world))
    victim_name, survivor_name = f"victim-{queue}", f"survivor-{queue}"  # unique: remote control finds it by name
    victim = workers.worker(env, victim_name)
    workers.worker(env, survivor_name, queue=f"{queue}-idle")  # takes the test's queue once the victim is dead
    wait_until(lambda: ready(runs, victim_name) and ready(runs, survivor_name))

    inbox_id = delivery.inbox_id
    with app.db.engine.connect() as hold:
        # The inbox row locked: the webhook task applies the event, commits,
        # then waits here to mark the row processed.
        hold.execute(text("SELECT id FROM payproc_webhook_inbox WHERE id = :i FOR UPDATE"), {"i": inbox_id})
        holder = hold.scalar(text("SELECT pg_backend_pid()"))
        # Both tasks sent once both workers are up, so that none waits
        # unacknowledged for long before the kill (on Redis, past the
        # visibility timeout, a live worker would be given it a second time).
        tasks.defer_webhook(delivery)
        tasks.start_renewals.apply_async(kwargs={"today": TODAY.isoformat()}, queue=queue)
        wait_until(lambda: blocked_by(app, holder) and len(charge_arrivals(world)) > before)

        # The kill lands mid-batch: charges in flight at the processor, the rest of the batch not started.
        started = task_runs(runs)
        batch_run = [run for run in started if run.get("task") == "payproc.renewals.batch"][-1]
        hook_run = next(run for run in started if run.get("task") == "payproc.webhooks.process")
        pool = None if lost == "worker" else [batch_run["pid"], hook_run["pid"]]
        workers.kill(victim, pool, signal.SIGSTOP)  # frozen: what it holds can be read before it dies
        held, recorded = leases_and_charges(world)
        workers.kill(victim, pool)
        hold.rollback()
    assert held, "the batch was over before the kill"

    celery.control.add_consumer(queue, destination=[f"{survivor_name}@{socket.gethostname()}"], reply=True)
    wait_until(lambda: still_due(world) == 0 and inbox_processed(app, inbox_id))
    workers.stop(now=True)  # nothing is left to do; nothing runs while the checks read

    reruns = [run for run in task_runs(runs) if run.get("id") in (batch_run["id"], hook_run["id"])]
    assert {run["id"] for run in reruns if run["redelivered"]} == {batch_run["id"], hook_run["id"]}
    assert charges_per_customer(world) == Counter(dict.fromkeys(ids, 1))  # at the processor: each once
    assert due_and_leased(world) == (set(), set())
    with app.db.transaction() as session:
        assert set(session.scalars(select(Profile.renewal_due).where(Profile.id.in_(ids)))) == {date(2024, 4, 30)}
        assert set(session.scalars(select(ChargeRow.state))) == {"done"}
        hook = session.scalar(select(ChargeRow).where(ChargeRow.id == hook_charge))
        assert hook is not None and hook.state == "done"
        # The run that died had applied the event: the run again found it recorded, and only marked the row.
        assert session.scalar(select(WebhookInboxRow.outcome).where(WebhookInboxRow.id == inbox_id)) == "duplicate"
    assert taken_after_lease(world, held, recorded)
    assert _payment_rows(app, hook_charge)  # booked once, not twice
    assert app.check_books().balanced


def inbox_processed(app: Any, inbox_id: int) -> bool:
    with app.db.transaction() as session:
        return session.scalar(select(WebhookInboxRow.processed_at).where(WebhookInboxRow.id == inbox_id)) is not None
