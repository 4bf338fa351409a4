"""A destination charge (FORWARD) whose application fee is less than Stripe's
fee: the whole charge reaches the provider and the platform pays Stripe the
difference. That money really moved, so the core books it, through its
public API, with balanced books and nothing negative."""

from __future__ import annotations

import pytest

from payproc.app import Payproc
from payproc.db import Database
from payproc.settings import Settings
from payproc.types import ProcessorKeys
from stripe_world import World


@pytest.fixture
def forward_app(fake_stripe, tmp_path):
    world = World(fake_stripe, mode=1)
    app = Payproc(Settings(DATABASE_URL=f"sqlite:///{tmp_path}/books.sqlite3"),
                  database=Database(f"sqlite:///{tmp_path}/books.sqlite3"), backend=world.backend)
    app.init_db()
    app.add_profile("alice", "Alice", "alice@example.com")
    app.add_profile("provider", "Cowork Provider", "p@example.com")
    app.set_processor_keys("provider", ProcessorKeys(deposit_key=world.provider_account.id))
    app.set_processor_keys(app.settings.BROKER, ProcessorKeys(deposit_key=world.broker_account.id))
    yield app, world
    app.db.dispose()


@pytest.mark.parametrize("broker_fee", [0, 50])
def test_the_platform_paying_stripes_fee_is_booked_from_its_funds(forward_app, broker_fee):
    app, _world = forward_app
    charge = app.checkout("alice", 2000, "usd", "tok_visa", provider="provider", broker_fee_amount=broker_fee)
    assert charge.state == "done"
    books = app.check_books()
    assert books.balanced, books.problems
    balances = app.balances()
    stripe_fee = 88  # the fake's fee on 2000 usd
    assert balances[("provider", "Funds", "usd")] == 2000 - broker_fee
    assert balances[(app.settings.BROKER, "Funds", "usd")] == broker_fee - stripe_fee  # it paid Stripe
    assert balances[("processor", "Funds", "usd")] == stripe_fee


def test_a_full_refund_gives_back_what_each_received(forward_app):
    app, _world = forward_app
    charge = app.checkout("alice", 2000, "usd", "tok_visa", provider="provider", broker_fee_amount=50)
    app.refund(charge.id)
    books = app.check_books()
    assert books.balanced, books.problems
    assert app.get_charge(charge.id).amount_refunded == 2000
