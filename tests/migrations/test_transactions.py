"""An upgrade is one transaction on SQLite and on PostgreSQL: a revision
that fails after changing tables and moving data leaves the database exactly
as it was, version included."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from migration_first_release import make_first_release_database
from migration_schema import fingerprint
from sqlalchemy import text

from payproc.db import Database, migrate
from payproc.db.migrations import SCRIPT_LOCATION

FAILING = '''"""A revision that alters a table, moves data, then fails."""
import sqlalchemy as sa
from alembic import op

from payproc.db.migrations import batch_alter_table

revision = "9001_fails_midway"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    with batch_alter_table("payproc_charge") as batch:
        batch.add_column(sa.Column("doomed", sa.String(8), nullable=True))
        batch.alter_column("description", existing_type=sa.String(400), type_=sa.String(500))
    op.execute("UPDATE payproc_charge SET doomed = 'moved', amount = amount + 1")
    op.drop_table("payproc_webhook_event")
    raise RuntimeError("the revision fails after its DDL and its data move")


def downgrade():
    pass
'''


@pytest.fixture
def failing_scripts(tmp_path: Path) -> Config:
    """payproc's migrations plus a failing revision after the head."""
    scripts = tmp_path / "migrations"
    shutil.copytree(SCRIPT_LOCATION, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9001_fails_midway.py").write_text(FAILING.format(head=migrate.head()))
    config = Config()
    config.set_main_option("script_location", str(scripts))
    return config


def test_a_failing_revision_changes_nothing(db_url: str, failing_scripts: Config) -> None:
    make_first_release_database(db_url)
    database = Database(db_url)
    migrate.upgrade(database)
    schema = fingerprint(database.engine, version_table=True)
    with database.engine.connect() as connection:
        rows = connection.execute(text("SELECT id, amount, description FROM payproc_charge ORDER BY id")).all()
    with pytest.raises(RuntimeError, match="fails after its DDL"):
        with migrate.migration_transaction(database) as connection:
            failing_scripts.attributes["connection"] = connection
            command.upgrade(failing_scripts, "heads")
    assert fingerprint(database.engine, version_table=True) == schema
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT id, amount, description FROM payproc_charge ORDER BY id")).all() == rows
        assert migrate.schema_state(connection).up_to_date
    if database.is_sqlite:  # foreign keys are back on for the application's connections
        with database.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    database.dispose()
