"""A debited renewal booked exactly once on PostgreSQL while Razorpay's
webhook is delivered twice at once and ``settle`` runs beside it, each in
its own Payproc (as separate processes would)."""

from __future__ import annotations

import os
import threading

import pytest
from razorpay_app import CUSTOMER, Shop

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_shop(backdoor, tmp_path):
    url = os.environ.get("PAYPROC_TEST_POSTGRES_URL", "").strip()
    if not url:
        if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
            pytest.fail("PAYPROC_TEST_POSTGRES_URL is not set in CI: the PostgreSQL tests must run there")
        pytest.skip("PAYPROC_TEST_POSTGRES_URL is not set")
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:  # an empty database (payproc's and Alembic's tables dropped)
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    shop = Shop(backdoor, tmp_path, database_url=url)
    yield shop
    shop.app.db.engine.dispose()


def test_one_booking_for_concurrent_deliveries_and_settle(pg_shop, backdoor):
    from payproc.app import Payproc

    pg_shop.save_card()
    charge = pg_shop.app.checkout(CUSTOMER, 75000, "inr")
    assert charge.state == "created"
    backdoor.debit_due()
    [(body, headers)] = backdoor.deliveries("payment.captured")[-1:]
    apps = [Payproc(pg_shop.app.settings) for _ in range(3)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def run(work):
        try:
            barrier.wait(timeout=10)
            work()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(lambda a=apps[0]: a.handle_webhook(body, headers),)),
               threading.Thread(target=run, args=(lambda a=apps[1]: a.handle_webhook(body, headers),)),
               threading.Thread(target=run, args=(lambda a=apps[2]: a.settle(),))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for app in apps:
        app.db.engine.dispose()
    assert errors == []
    assert pg_shop.app.get_charge(charge.id).state == "done"
    assert pg_shop.app.check_books().balanced
    once = pg_shop.app.balances()
    backdoor.debit_due()  # nothing more is due
    pg_shop.settle()
    assert pg_shop.app.balances() == once
    assert once[(CUSTOMER, "Liability", "inr")] == -75000, "the customer's payment is booked once"
    assert once[("processor", "Funds", "inr")] == backdoor.backdoor(f"payments/{charge.processor_key}")["fee"]
