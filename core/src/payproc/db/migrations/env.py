"""payproc's Alembic environment.

payproc runs it itself (``payproc.db.migrate``), always online, on the
connection it passes in ``config.attributes["connection"]`` with a transaction
already begun: a whole upgrade, data moves included, commits or rolls back as
one (PostgreSQL's transactional DDL; on SQLite payproc's engine issues BEGIN
IMMEDIATE itself and DDL is transactional too). Tables are altered in batch
mode on SQLite (``render_as_batch``), the only way SQLite can change a column
or a constraint.
"""

from __future__ import annotations

from alembic import context

from payproc.db.migrate import VERSION_TABLE
from payproc.db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - payproc always passes one
    raise RuntimeError("payproc's migrations run through `payproc db upgrade` or Payproc.init_db(), "
                       "or from an application's own Alembic environment (docs/migrations.md)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    version_table=VERSION_TABLE,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
