"""payproc's Alembic migrations, shipped in the wheel.

``versions/`` holds one revision per schema change, all on the branch labelled
``payproc``; ``0001_baseline`` is exactly the schema of payproc 0.1. Run them
with ``payproc db upgrade`` (or ``Payproc.init_db()``), or include them in an
application's own Alembic environment (docs/migrations.md)::

    version_locations = %(here)s/migrations/versions payproc.db.migrations:versions

A revision alters a table with :func:`batch_alter_table` (Alembic's batch
mode, which SQLite needs to change a column or a constraint, with
payproc.db.naming's convention so that constraints have the same names on
SQLite and PostgreSQL), and moves data with ``op.execute`` in the same
revision: payproc runs a whole upgrade in one transaction.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..naming import NAMING_CONVENTION

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from alembic.operations import BatchOperations

__all__ = ["BASELINE", "BRANCH", "SCRIPT_LOCATION", "VERSIONS", "RevisionGraph", "batch_alter_table", "revision_graph"]

#: The branch label every payproc revision carries (``payproc@head``).
BRANCH = "payproc"
#: The revision that describes a database created by payproc 0.1.
BASELINE = "0001_baseline"
#: This directory: the ``script_location`` of payproc's own environment.
SCRIPT_LOCATION = str(Path(__file__).resolve().parent)
#: Where the revision files are, for an application's ``version_locations``.
VERSIONS = str(Path(__file__).resolve().parent / "versions")


@dataclass(frozen=True)
class RevisionGraph:
    """Each revision's parents, and the one head."""

    parents: dict[str, tuple[str, ...]]
    head: str


@functools.cache
def revision_graph() -> RevisionGraph:
    """payproc's revisions read from the files' ``revision`` and
    ``down_revision`` assignments, without importing Alembic (about a
    millisecond): the start-up check compares the database with ``head``
    without loading Alembic. tests/migrations checks it against Alembic's own
    reading."""
    parents: dict[str, tuple[str, ...]] = {}
    for path in sorted(Path(VERSIONS).glob("*.py")):
        values: dict[str, Any] = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                        values[target.id] = ast.literal_eval(node.value)
        if "revision" not in values:
            continue
        down = values.get("down_revision")
        parents[values["revision"]] = () if down is None else (down,) if isinstance(down, str) else tuple(down)
    heads = set(parents) - {parent for ups in parents.values() for parent in ups}
    if len(heads) != 1:
        raise RuntimeError(f"payproc's migrations must have exactly one head, found {sorted(heads)}")
    return RevisionGraph(parents=parents, head=heads.pop())


def batch_alter_table(table_name: str, **options: Any) -> AbstractContextManager[BatchOperations]:
    """``op.batch_alter_table`` with payproc's naming convention: on SQLite
    the table is copied (batch mode) and its unnamed constraints get the names
    PostgreSQL gives them, so ``drop_constraint("payproc_dispute_charge_id_key")``
    works on both; on PostgreSQL it is plain ``ALTER TABLE``."""
    from alembic import op

    return op.batch_alter_table(table_name, naming_convention=NAMING_CONVENTION, **options)
