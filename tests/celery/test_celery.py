"""payproc's Celery tasks on real brokers with real worker processes.

Renewals fan out by claimed batch over two worker processes (each a prefork
pool of two), on RabbitMQ and on Redis: every due customer is charged once,
and the fake processor received one request per renewal. Celery beat runs
settle on its schedule. A webhook delivery is verified and stored by the web
endpoint, applied by a task, and applied once however often it is delivered
and however often the task runs.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import pytest
from payproc.db import ChargeRow, LedgerRow, Profile, WebhookInboxRow
from payproc.types import EventType
from payproc_fake.webhooks import build_event
from sqlalchemy import func, insert, select, text
from starlette.testclient import TestClient

import shared_processor
from celery_app import make_celery
from celery_support import Workers, broker_url, wait_until

TODAY = date(2024, 3, 31)


def add_due(world: dict[str, Any], n: int) -> list[int]:
    cards = shared_processor.connect(world["address"]).add_customers(world["account"], n)
    with world["app"].db.transaction() as session:
        session.execute(insert(Profile), [
            {"slug": f"cust{i:05d}", "printable_name": f"c{i}", "processor_card_key": card,
             "renewal_amount": 1500, "renewal_currency": "usd", "renewal_due": TODAY}
            for i, card in enumerate(cards)])
        return list(session.scalars(select(Profile.id).where(Profile.slug.like("cust%"))))


def still_due(world: dict[str, Any]) -> int:
    with world["app"].db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(Profile).where(Profile.renewal_due == TODAY)) or 0)


def charges_per_customer(world: dict[str, Any]) -> Counter[int]:
    keys = shared_processor.connect(world["address"]).succeeded_keys(world["account"])
    return Counter(int(key.split("_")[1]) for key in keys)


@pytest.mark.parametrize("broker", ["rabbitmq", "redis"])
def test_renewals_fan_out_by_claimed_batch_across_workers(world: dict[str, Any], workers: Workers,
                                                          broker: str) -> None:
    url = broker_url(broker)
    env = {**world["env"], "PAYPROC_CELERY_BROKER": url, "PAYPROC_CELERY_LATENCY_MS": "50"}
    ids = add_due(world, 60)
    workers.worker(env, "one")
    workers.worker(env, "two")
    _, tasks = make_celery(url, env["PAYPROC_CELERY_QUEUE"])

    tasks.start_renewals.apply_async(kwargs={"today": TODAY.isoformat()}, queue=env["PAYPROC_CELERY_QUEUE"])
    wait_until(lambda: still_due(world) == 0)

    assert charges_per_customer(world) == Counter(dict.fromkeys(ids, 1))
    arrivals = [m for _, m in shared_processor.connect(world["address"]).arrivals(world["account"])]
    assert arrivals.count("create_charge") == 60  # one processor request per renewal
    with world["app"].db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ChargeRow).where(ChargeRow.state == "done")) == 60
    assert world["app"].check_books().balanced


def test_beat_settles_charges_on_its_schedule(world: dict[str, Any], workers: Workers) -> None:
    url = broker_url("redis")
    env = {**world["env"], "PAYPROC_CELERY_BROKER": url, "PAYPROC_CELERY_SETTLE_EVERY": "1"}
    add_due(world, 3)
    service = shared_processor.connect(world["address"])
    service.backdoor(world["account"], "fail_next", ("timeout",) * 3, {"operation": "create_charge"})
    from payproc.renewals import run_renewals

    assert run_renewals(world["app"], today=TODAY, progress=False).unknown == 3  # charged, answers lost
    with world["app"].db.transaction() as session:  # the checkout's lease passed (as if 2 minutes later)
        session.execute(text("UPDATE payproc_charge SET lease_until = NULL"))

    workers.worker(env, "settler", concurrency=1)
    beat_dir = world["env"]["PAYPROC_CELERY_QUEUE"]
    workers.start(env, "beat", "-l", "WARNING", "-s", f"/tmp/{beat_dir}-schedule")

    def settled() -> bool:
        with world["app"].db.transaction() as session:
            return set(session.scalars(select(ChargeRow.state))) == {"done"}

    wait_until(settled)  # nobody sent the task: beat did
    assert world["app"].check_books().balanced


def test_a_deferred_webhook_is_applied_once(world: dict[str, Any], workers: Workers) -> None:
    from payproc.web import create_app

    url = broker_url("rabbitmq")
    env = {**world["env"], "PAYPROC_CELERY_BROKER": url}
    app = world["app"]
    add_due(world, 1)
    service = shared_processor.connect(world["address"])
    service.backdoor(world["account"], "fail_next", ("timeout",), {"operation": "create_charge"})
    from payproc.renewals import run_renewals

    assert run_renewals(app, today=TODAY, progress=False).unknown == 1  # charged at the processor, answer lost
    (charge_key,) = [c["id"] for c in service.backdoor(world["account"], "list_charges")]
    with app.db.transaction() as session:
        session.execute(text("UPDATE payproc_charge SET processor_key = :k"), {"k": charge_key})
    _, tasks = make_celery(url, env["PAYPROC_CELERY_QUEUE"])
    client = TestClient(create_app(app, page=False, defer_webhooks=tasks.defer_webhook))
    body, headers = build_event(EventType.CHARGE_SUCCEEDED, charge_key, secret="whsec_shared",
                                amount=1500, currency="usd")

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
