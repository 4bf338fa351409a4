"""Webhook events kept until their charge is known keep everything they said.

* webhook events: ``details`` (JSON: dispute figures, refund and payout
  keys, receipt) and ``charge_reference`` (the order id a payment event
  names). Before this revision an event that arrived before its charge was
  applied later with only its amount and currency; rows kept from then have
  no details and are applied as before.

Downgrade drops both columns: the details of events still waiting for their
charge are lost (they are applied with amount and currency, as 0.1 did), so
it is refused while any event waits.

Revision ID: 0004_webhook_event_details
Revises: 0003_renewal_claims
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from payproc.db.migrations import batch_alter_table
from payproc.errors import IrreversibleMigration

revision: str = "0004_webhook_event_details"
down_revision: str | Sequence[str] | None = "0003_renewal_claims"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with batch_alter_table("payproc_webhook_event") as batch:
        batch.add_column(sa.Column("details", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("charge_reference", sa.String(255), nullable=True))


def downgrade() -> None:
    waiting = op.get_bind().execute(sa.text(
        "SELECT COUNT(*) FROM payproc_webhook_event WHERE applied = :no AND details IS NOT NULL"),
        {"no": False}).scalar_one()
    if waiting:
        raise IrreversibleMigration(
            f"cannot downgrade below 0004_webhook_event_details: {waiting} webhook event(s) still wait for "
            "their charge and would lose what the processor reported; settle or apply them first")
    with batch_alter_table("payproc_webhook_event") as batch:
        batch.drop_column("charge_reference")
        batch.drop_column("details")
