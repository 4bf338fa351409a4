"""shop: orders

The application's first revision. Its table points at payproc's profiles and
charges, so it depends on payproc's baseline: Alembic creates payproc's
tables first.

Revision ID: shop_0001
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "shop_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("shop",)
depends_on: str | Sequence[str] | None = "0001_baseline"


def upgrade() -> None:
    op.create_table(
        "shop_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("payproc_profile.id"), nullable=False),
        sa.Column("charge_id", sa.Integer(), sa.ForeignKey("payproc_charge.id"), nullable=True),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("shop_order")
