"""Revision 0002_contract_1_1: every 0.1 row keeps its meaning (payouts are
paid, disputes are chargebacks), and going back down refuses to lose rows
that 0.1's schema cannot hold."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import func, insert, select, text

from payproc.db.engine import Database
from payproc.db.migrate import alembic_config, head, migration_transaction, upgrade
from payproc.db.models import ChargeRow, DisputeRow, Profile, TransferRow, utcnow
from payproc.errors import IrreversibleMigration


def _downgrade(database: Database, revision: str) -> None:
    with migration_transaction(database) as connection:
        command.downgrade(alembic_config(connection), revision)


def _charge(database: Database) -> int:
    with database.transaction() as session:
        session.execute(insert(Profile).values(id=1, slug="p", printable_name="P", nb_renewal_attempts=0,
                                               created_at=utcnow()))
        charge = ChargeRow(idempotency_key="k", customer_id=1, provider_id=1, amount=1000, currency="usd",
                           state="disputed", processor_key="ch_1")
        session.add(charge)
        session.flush()
        return charge.id


def test_a_charge_with_two_disputes_cannot_go_back_to_the_first_release(db_url: str) -> None:
    database = Database(db_url)
    upgrade(database, replay=True)
    charge_id = _charge(database)
    with database.transaction() as session:
        session.add_all([DisputeRow(charge_id=charge_id, processor_key="dp_1", amount=1000, state="won"),
                         DisputeRow(charge_id=charge_id, processor_key="dp_2", amount=1000, kind="pre_arbitration")])
    with pytest.raises(IrreversibleMigration, match=rf"more than one dispute: \[{charge_id}\]"):
        _downgrade(database, "0001_baseline")
    with database.transaction() as session:  # nothing changed: still at head, both disputes kept
        assert session.scalar(select(func.count()).select_from(DisputeRow)) == 2
        assert session.scalar(text("SELECT version_num FROM payproc_alembic_version")) == head()
    database.dispose()


def test_first_release_payouts_and_disputes_keep_their_meaning(db_url: str) -> None:
    database = Database(db_url)
    upgrade(database, "0001_baseline", replay=True)
    with database.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO payproc_profile (id, slug, printable_name, nb_renewal_attempts, created_at) "
            "VALUES (1, 'p', 'P', 0, CURRENT_TIMESTAMP)"))
        connection.execute(text(
            "INSERT INTO payproc_charge (id, idempotency_key, customer_id, provider_id, amount, currency, "
            "broker_fee_amount, state, amount_refunded, description, created_at, updated_at) VALUES "
            "(1, 'k', 1, 1, 1000, 'usd', 0, 'disputed', 0, '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        connection.execute(text(
            "INSERT INTO payproc_dispute (charge_id, state, amount, fee, created_at, updated_at) "
            "VALUES (1, 'open', 1000, 1500, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        connection.execute(text(
            "INSERT INTO payproc_transfer (provider_id, processor_key, amount, currency, description, created_at) "
            "VALUES (1, 'po_1', 500, 'usd', '', CURRENT_TIMESTAMP)"))
    upgrade(database)
    with database.transaction() as session:
        assert session.scalars(select(TransferRow.state)).all() == ["paid"]
        assert session.scalars(select(DisputeRow.kind)).all() == ["chargeback"]
        assert session.scalars(select(ChargeRow.needs_review)).all() == [False]
        assert session.scalars(select(Profile.phone)).all() == [None]
    _downgrade(database, "0001_baseline")  # nothing 0.1 cannot hold: an honest way back
    upgrade(database)
    database.dispose()
