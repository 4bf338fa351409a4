"""Contract 1.1: charges that wait for the customer, refund and payout
look-ups, several disputes per charge, customers' phones.

* charges: ``next_action`` (what the customer must do, JSON),
  ``needs_review`` / ``review_reason`` (money that moved unexpectedly is
  booked and flagged, never ignored). The new states (``awaiting``,
  ``requires_action``, ``expired``) fit the existing ``state`` column.
* refunds: ``failure_code``, ``last_checked_at`` (settle asks the processor
  about refunds whose answer was lost).
* transfers: ``idempotency_key`` (unique; one intended payout, one key) and
  ``state`` (``pending`` / ``paid`` / ``failed``); ``processor_key`` may be
  empty while a payout's answer is unknown. 0.1 recorded a payout only once
  the processor had answered, so every existing row is ``paid``.
* disputes: ``processor_key`` (unique) and ``kind``; a charge may now have
  several (a pre-arbitration after a won chargeback), so ``charge_id`` is
  indexed instead of unique. Existing disputes are chargebacks.
* profiles: ``phone`` (E.164).

Downgrade is honest only while no charge has two disputes and no payout is
without a processor key: it refuses otherwise, saying which rows stand in
the way, rather than lose them.

Revision ID: 0002_contract_1_1
Revises: 0001_baseline
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from payproc.db.migrations import batch_alter_table
from payproc.errors import IrreversibleMigration

revision: str = "0002_contract_1_1"
down_revision: str | Sequence[str] | None = "0001_baseline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    with batch_alter_table("payproc_profile") as batch:
        batch.add_column(sa.Column("phone", sa.String(16), nullable=True))
    with batch_alter_table("payproc_charge") as batch:
        batch.add_column(sa.Column("next_action", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("needs_review", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("review_reason", sa.String(400), nullable=True))
    with batch_alter_table("payproc_refund") as batch:
        batch.add_column(sa.Column("failure_code", sa.String(64), nullable=True))
        batch.add_column(sa.Column("last_checked_at", UTC, nullable=True))
    with batch_alter_table("payproc_transfer") as batch:
        batch.add_column(sa.Column("idempotency_key", sa.String(255), nullable=True))
        batch.add_column(sa.Column("state", sa.String(16), nullable=False, server_default="paid"))
        batch.alter_column("processor_key", existing_type=sa.String(255), nullable=True)
        batch.create_unique_constraint("payproc_transfer_idempotency_key_key", ["idempotency_key"])
    with batch_alter_table("payproc_dispute") as batch:
        batch.add_column(sa.Column("processor_key", sa.String(255), nullable=True))
        batch.add_column(sa.Column("kind", sa.String(32), nullable=False, server_default="chargeback"))
        batch.drop_constraint("payproc_dispute_charge_id_key", type_="unique")
        batch.create_unique_constraint("payproc_dispute_processor_key_key", ["processor_key"])
        batch.create_index("ix_payproc_dispute_charge_id", ["charge_id"])


def downgrade() -> None:
    bind = op.get_bind()
    twice = bind.execute(sa.text(
        "SELECT charge_id FROM payproc_dispute GROUP BY charge_id HAVING COUNT(*) > 1")).scalars().all()
    unkeyed = bind.execute(sa.text(
        "SELECT id FROM payproc_transfer WHERE processor_key IS NULL")).scalars().all()
    if twice or unkeyed:
        raise IrreversibleMigration(
            "cannot downgrade below 0002_contract_1_1 without losing records: "
            + "; ".join(filter(None, [
                f"charges with more than one dispute: {sorted(twice)}" if twice else "",
                f"payouts still waiting for the processor's answer: {sorted(unkeyed)}" if unkeyed else "",
            ]))
        )
    with batch_alter_table("payproc_dispute") as batch:
        batch.drop_index("ix_payproc_dispute_charge_id")
        batch.drop_constraint("payproc_dispute_processor_key_key", type_="unique")
        batch.create_unique_constraint("payproc_dispute_charge_id_key", ["charge_id"])
        batch.drop_column("kind")
        batch.drop_column("processor_key")
    with batch_alter_table("payproc_transfer") as batch:
        batch.drop_constraint("payproc_transfer_idempotency_key_key", type_="unique")
        batch.alter_column("processor_key", existing_type=sa.String(255), nullable=False)
        batch.drop_column("state")
        batch.drop_column("idempotency_key")
    with batch_alter_table("payproc_refund") as batch:
        batch.drop_column("last_checked_at")
        batch.drop_column("failure_code")
    with batch_alter_table("payproc_charge") as batch:
        batch.drop_column("review_reason")
        batch.drop_column("needs_review")
        batch.drop_column("next_action")
    with batch_alter_table("payproc_profile") as batch:
        batch.drop_column("phone")
