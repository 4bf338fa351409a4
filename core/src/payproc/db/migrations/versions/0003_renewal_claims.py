"""Work split across processes on PostgreSQL, and deferred webhook intake.

* profiles: ``renewal_lease_until`` (a renewal worker's claim on a due
  renewal, payproc.claims) and an index on ``renewal_due`` (each claim reads
  the oldest due renewals first).
* ``payproc_rate_limit``: one row per shared rate limit, the earliest time
  the next processor call may start (payproc.ratelimit).
* ``payproc_webhook_inbox``: verified events kept for a task to apply
  (payproc.integrations.celery), unique per backend and event id.

Nothing existing changes meaning; downgrade drops what upgrade added (the
inbox only when it holds no unprocessed event, which would be lost).

Revision ID: 0003_renewal_claims
Revises: 0002_contract_1_1
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from payproc.db.migrations import batch_alter_table
from payproc.errors import IrreversibleMigration

revision: str = "0003_renewal_claims"
down_revision: str | Sequence[str] | None = "0002_contract_1_1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    with batch_alter_table("payproc_profile") as batch:
        batch.add_column(sa.Column("renewal_lease_until", UTC, nullable=True))
        batch.create_index("ix_payproc_profile_renewal_due", ["renewal_due"])
    op.create_table(
        "payproc_rate_limit",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("next_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("name", name="payproc_rate_limit_pkey"),
    )
    op.create_table(
        "payproc_webhook_inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("backend", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        sa.Column("processed_at", UTC, nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("id", name="payproc_webhook_inbox_pkey"),
        sa.UniqueConstraint("backend", "event_id", name="payproc_webhook_inbox_backend_event_id_key"),
    )


def downgrade() -> None:
    waiting = op.get_bind().execute(sa.text(
        "SELECT id FROM payproc_webhook_inbox WHERE processed_at IS NULL")).scalars().all()
    if waiting:
        raise IrreversibleMigration("cannot downgrade below 0003_renewal_claims: webhook events not applied yet "
                                    f"would be lost (payproc_webhook_inbox ids {sorted(waiting)})")
    op.drop_table("payproc_webhook_inbox")
    op.drop_table("payproc_rate_limit")
    with batch_alter_table("payproc_profile") as batch:
        batch.drop_index("ix_payproc_profile_renewal_due")
        batch.drop_column("renewal_lease_until")
