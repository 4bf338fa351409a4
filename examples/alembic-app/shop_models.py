"""The example application's own table: an order that points at payproc's
profile and charge tables (by their Column objects, so that the foreign keys
resolve across the two MetaData collections)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, MetaData, String, Table

from payproc.db.models import ChargeRow, Profile

metadata = MetaData()

shop_order = Table(
    "shop_order",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey(Profile.__table__.c.id), nullable=False),
    Column("charge_id", Integer, ForeignKey(ChargeRow.__table__.c.id), nullable=True),
    Column("total", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
)
