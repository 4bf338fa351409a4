"""Constraint names a migration can rely on, on every database.

payproc's models leave their constraints unnamed, as 0.1 did (so a database
built from the models today is the one 0.1 built, to the letter). PostgreSQL
names an unnamed constraint ``<table>_<columns>_key`` / ``_fkey`` / ``_pkey``;
SQLite leaves it unnamed. This convention spells out PostgreSQL's names, and
``payproc.db.migrations.batch_alter_table`` hands it to Alembic's batch mode,
which gives each reflected unnamed SQLite constraint the same name: a
migration drops ``payproc_dispute_charge_id_key`` on both databases.
"""

from __future__ import annotations

from typing import Final

__all__ = ["NAMING_CONVENTION"]

NAMING_CONVENTION: Final[dict[str, str]] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "%(table_name)s_%(column_0_N_name)s_key",
    "fk": "%(table_name)s_%(column_0_N_name)s_fkey",
    "pk": "%(table_name)s_pkey",
}
