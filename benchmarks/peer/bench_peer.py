"""The peer's checkout: djaodjin-saas 1.3.1 ``Organization.checkout`` with
its fake processor backend, run inside the peer's own venv.

    /work/peer-venv/bin/python benchmarks/peer/bench_peer.py --n 300 --workers 1 [--db URL]

Each checkout (``Organization.checkout`` then ``Charge.retrieve``, as
djaodjin's checkout API and receipt page run them) is one order of one plan period for its own subscriber (so
workers never contend on one subscription), paid with a one-time token.
Prints one JSON line: charges/s, SQL statements per checkout, wall time.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_settings")


def setup(n: int) -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from saas.models import Organization, Plan

    call_command("migrate", verbosity=0, interactive=False)
    # save() of the very first profile looks itself up: bootstrap it as djaodjin's fixtures do.
    Organization.objects.bulk_create([Organization(pk=1, slug="processor", full_name="Processor",
                                                   is_provider=True, processor_id=1)])
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:  # PostgreSQL: move the id sequence past the explicit pk
        for sql in connection.ops.sequence_reset_sql(no_style(), [Organization]):
            cursor.execute(sql)
    broker, _ = Organization.objects.get_or_create(slug="broker", defaults={"full_name": "Broker",
                                                                            "is_provider": True})
    Plan.objects.get_or_create(slug="basic", defaults={
        "organization": broker, "title": "Basic", "period_amount": 2000, "unit": "usd",
        "period_type": Plan.MONTHLY, "is_active": True})
    get_user_model().objects.get_or_create(username="buyer", defaults={"email": "buyer@example.com"})
    Organization.objects.bulk_create([
        Organization(slug=f"sub{i:06d}", full_name=f"Subscriber {i}", email=f"sub{i}@example.com",
                     processor_id=1)
        for i in range(n)])


def checkout_one(subscriber, plan, user) -> object:
    from saas.models import Subscription, Transaction

    subscription = Subscription.objects.new_instance(subscriber, plan)
    lines = [Transaction.objects.new_subscription_order(subscription)]
    invoicables = [{"subscription": subscription, "name": f"cart-{plan.slug}", "lines": lines,
                    "options": [], "descr": "Basic"}]
    charge = subscriber.checkout(invoicables, user, token="tok_visa", remember_card=False)
    # The charge stays "created" until retrieved: djaodjin's receipt page
    # (ChargeMixin.get_object) calls charge.retrieve(), whose fake backend
    # then calls payment_successful() (payment + ledger transactions). In
    # 1.3.1 the fake's retrieve_charge(charge) is called with an extra
    # argument (TypeError), so we make the call it would make.
    if charge.is_progress:
        charge.payment_successful()
    return charge


def worker(args: tuple[int, int, int]) -> tuple[int, int, float]:
    import django
    from django.db import connection

    django.setup()
    from django.contrib.auth import get_user_model
    from saas.models import Organization, Plan

    start, stop, warm = args
    plan = Plan.objects.get(slug="basic")
    user = get_user_model().objects.get(username="buyer")
    subscribers = list(Organization.objects.filter(slug__gte=f"sub{start:06d}", slug__lt=f"sub{stop:06d}")
                       .order_by("slug"))
    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    for subscriber in subscribers[:warm]:
        checkout_one(subscriber, plan, user)
    began = time.perf_counter()
    with connection.execute_wrapper(counter):
        for subscriber in subscribers[warm:]:
            charge = checkout_one(subscriber, plan, user)
            assert charge is not None and charge.state == charge.DONE, charge
    elapsed = time.perf_counter() - began
    connection.close()
    return len(subscribers) - warm, count[0], elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300, help="checkouts per worker")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--warm", type=int, default=10)
    parser.add_argument("--db", default="", help="postgresql://user@host:port/name (SQLite file if absent)")
    options = parser.parse_args()
    base = tempfile.mkdtemp(prefix="payproc-peer-")
    os.environ["PEER_BASE_DIR"] = base
    if options.db:
        os.environ["PEER_DATABASE_URL"] = options.db
    import django

    django.setup()
    per = options.n + options.warm
    if options.db:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    setup(per * options.workers)
    from django.db import connections

    connections.close_all()
    jobs = [(w * per, (w + 1) * per, options.warm) for w in range(options.workers)]
    began = time.perf_counter()
    if options.workers == 1:
        results = [worker(jobs[0])]
    else:
        with multiprocessing.get_context("fork").Pool(options.workers) as pool:
            results = pool.map(worker, jobs)
    wall = time.perf_counter() - began
    done = sum(r[0] for r in results)
    statements = sum(r[1] for r in results)
    print(json.dumps({
        "impl": "djaodjin-saas 1.3.1", "db": "postgresql" if options.db else "sqlite",
        "workers": options.workers, "charges": done,
        "charges_per_s": done / max(r[2] for r in results),
        "statements_per_charge": statements / done, "wall_s": wall,
    }))


if __name__ == "__main__":
    main()
