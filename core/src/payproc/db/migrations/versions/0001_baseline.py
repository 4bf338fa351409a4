"""Baseline: the schema of payproc 0.1 (the first release, commit f291d5e).

A database that 0.1's ``create_all`` made is stamped at this revision, not
recreated, so this file describes that schema exactly: the same columns in
the same order, types, nullability, indexes and constraints. The tables are
declared on a MetaData of their own, without payproc's naming convention, and
created with ``create_all`` as 0.1 did, so the DDL is 0.1's to the letter:
constraints unnamed, which PostgreSQL names itself
(``payproc_charge_processor_key_key``: the names payproc.db.naming spells out)
and SQLite leaves unnamed.

Revision ID: 0001_baseline
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_baseline"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("payproc",)
depends_on: str | Sequence[str] | None = None

#: 0.1's UTCDateTime is a timezone-aware DateTime (TIMESTAMP WITH TIME ZONE).
UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    metadata = sa.MetaData()
    sa.Table(
        "payproc_profile",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(100), nullable=False, unique=True),
        sa.Column("printable_name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("processor_card_key", sa.String(255), nullable=True),
        sa.Column("processor_deposit_key", sa.String(255), nullable=True),
        sa.Column("processor_pub_key", sa.String(255), nullable=True),
        sa.Column("processor_priv_key", sa.String(255), nullable=True),
        sa.Column("processor_refresh_token", sa.String(255), nullable=True),
        sa.Column("nb_renewal_attempts", sa.Integer(), nullable=False),
        sa.Column("renewal_amount", sa.BigInteger(), nullable=True),
        sa.Column("renewal_currency", sa.String(3), nullable=True),
        sa.Column("renewal_due", sa.Date(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    sa.Table(
        "payproc_webhook_event",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("backend", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("charge_processor_key", sa.String(255), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("backend", "event_id", name="uq_payproc_webhook_event"),
        sa.Index("ix_payproc_webhook_pending", "charge_processor_key", "applied"),
    )
    sa.Table(
        "payproc_charge",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False, unique=True),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("payproc_profile.id"), nullable=False),
        sa.Column("provider_id", sa.Integer(), sa.ForeignKey("payproc_profile.id"), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("broker_fee_amount", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("processor_key", sa.String(255), nullable=True, unique=True),
        sa.Column("reference", sa.String(255), nullable=True),
        sa.Column("amount_refunded", sa.BigInteger(), nullable=False),
        sa.Column("last4", sa.String(4), nullable=True),
        sa.Column("exp_date", sa.Date(), nullable=True),
        sa.Column("card_name", sa.String(200), nullable=True),
        sa.Column("brand", sa.String(32), nullable=True),
        sa.Column("description", sa.String(400), nullable=False),
        sa.Column("failure_code", sa.String(64), nullable=True),
        sa.Column("lease_until", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.Index("ix_payproc_charge_state", "state", "lease_until"),
    )
    sa.Table(
        "payproc_transfer",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), sa.ForeignKey("payproc_profile.id"), nullable=False),
        sa.Column("processor_key", sa.String(255), nullable=False, unique=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("description", sa.String(400), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.Index("ix_payproc_transfer_provider_id", "provider_id"),
    )
    sa.Table(
        "payproc_dispute",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("charge_id", sa.Integer(), sa.ForeignKey("payproc_charge.id"), nullable=False, unique=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    sa.Table(
        "payproc_ledger",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("descr", sa.String(400), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=True),
        sa.Column("orig_profile_id", sa.Integer(), sa.ForeignKey("payproc_profile.id"), nullable=False),
        sa.Column("orig_account", sa.String(32), nullable=False),
        sa.Column("orig_amount", sa.BigInteger(), nullable=False),
        sa.Column("orig_unit", sa.String(3), nullable=False),
        sa.Column("dest_profile_id", sa.Integer(), sa.ForeignKey("payproc_profile.id"), nullable=False),
        sa.Column("dest_account", sa.String(32), nullable=False),
        sa.Column("dest_amount", sa.BigInteger(), nullable=False),
        sa.Column("dest_unit", sa.String(3), nullable=False),
        sa.Column("charge_id", sa.Integer(), sa.ForeignKey("payproc_charge.id"), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.Index("ix_payproc_ledger_event_id", "event_id"),
        sa.Index("ix_payproc_ledger_charge_id", "charge_id"),
    )
    sa.Table(
        "payproc_refund",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("charge_id", sa.Integer(), sa.ForeignKey("payproc_charge.id"), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("broker_amount", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False, unique=True),
        sa.Column("processor_key", sa.String(255), nullable=True, unique=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.Index("ix_payproc_refund_charge_id", "charge_id"),
    )
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    # The inverse would drop every table, and with them every charge and the
    # ledger: refused. Drop the tables yourself if that is really wanted.
    from payproc.errors import IrreversibleMigration

    raise IrreversibleMigration(
        "0001_baseline cannot be downgraded: it would drop payproc's tables and every charge and ledger row")
