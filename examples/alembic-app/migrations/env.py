"""The example application's Alembic environment, with payproc's revisions.

Three things make payproc's revisions run here:

* ``version_locations`` in alembic.ini lists ``payproc.db.migrations:versions``
  next to the application's own directory (payproc's branch is ``payproc``);
* ``target_metadata`` holds payproc's models too, so autogenerate sees
  payproc's tables as known (and writes no revision that drops them);
* on SQLite, ``render_as_batch`` and foreign keys off during the upgrade: batch
  mode copies a table to alter it, which live foreign keys would refuse.
"""

from __future__ import annotations

import os

from alembic import context
from shop_models import metadata as shop_metadata
from sqlalchemy import create_engine

from payproc.db.migrate import VERSION_TABLE as PAYPROC_OWN_VERSION_TABLE
from payproc.db.models import Base as PayprocBase

config = context.config
url = os.environ.get("DATABASE_URL") or config.get_main_option("sqlalchemy.url")
target_metadata = [shop_metadata, PayprocBase.metadata]


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    # The table payproc keeps its revision in when it upgrades on its own.
    return not (type_ == "table" and name == PAYPROC_OWN_VERSION_TABLE)


engine = create_engine(url)
with engine.connect() as connection:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()  # end the implicit transaction: Alembic begins its own
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      include_name=include_name)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
