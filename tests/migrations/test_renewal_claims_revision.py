"""Revision 0003_renewal_claims: the renewal lease, the shared rate limit
and the webhook inbox come and go with it, and going back down refuses to
drop webhook events that were stored but not applied yet."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, text

from payproc.db.engine import Database
from payproc.db.migrate import alembic_config, head, migration_transaction, upgrade
from payproc.db.models import WebhookInboxRow
from payproc.errors import IrreversibleMigration


def _downgrade(database: Database, revision: str) -> None:
    with migration_transaction(database) as connection:
        command.downgrade(alembic_config(connection), revision)


def test_down_and_up_again(db_url: str) -> None:
    database = Database(db_url)
    upgrade(database, replay=True)
    _downgrade(database, "0002_contract_1_1")
    tables = inspect(database.engine).get_table_names()
    assert "payproc_rate_limit" not in tables and "payproc_webhook_inbox" not in tables
    assert "renewal_lease_until" not in {c["name"] for c in inspect(database.engine).get_columns("payproc_profile")}
    upgrade(database, replay=True)
    assert {"payproc_rate_limit", "payproc_webhook_inbox"} <= set(inspect(database.engine).get_table_names())
    database.dispose()


def test_unapplied_webhook_events_block_the_downgrade(db_url: str) -> None:
    database = Database(db_url)
    upgrade(database, replay=True)
    with database.transaction() as session:
        session.add(WebhookInboxRow(backend="fake", event_id="evt_1", event="{}"))
    with pytest.raises(IrreversibleMigration, match=r"webhook events not applied yet"):
        _downgrade(database, "0002_contract_1_1")
    with database.transaction() as session:  # nothing changed: still at head, the event kept
        assert session.scalar(text("SELECT version_num FROM payproc_alembic_version")) == head()
        assert session.scalar(text("SELECT COUNT(*) FROM payproc_webhook_inbox")) == 1
    database.dispose()
