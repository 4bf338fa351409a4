"""payproc's revision graph: one branch, one head, the baseline at its root."""

from __future__ import annotations

from payproc.db import migrate
from payproc.db.migrations import BASELINE, BRANCH, revision_graph


def test_exactly_one_head_on_the_payproc_branch() -> None:
    script = migrate.script_directory()
    assert len(script.get_heads()) == 1, f"several heads: {script.get_heads()} (chain new revisions after the head)"
    assert script.get_revision(f"{BRANCH}@head").revision == migrate.head()


def test_the_baseline_is_the_only_root_and_carries_the_branch_label() -> None:
    script = migrate.script_directory()
    assert script.get_bases() == [BASELINE]
    assert BRANCH in script.get_revision(BASELINE).branch_labels


def test_revision_ids_fit_alembic_version_column() -> None:
    # alembic_version.version_num is VARCHAR(32)
    for revision in migrate.script_directory().walk_revisions():
        assert len(revision.revision) <= 32, revision.revision


def test_the_quick_revision_reading_agrees_with_alembic() -> None:
    """payproc reads the head without importing Alembic (start-up check)."""
    script = migrate.script_directory()
    graph = revision_graph()
    assert graph.head == script.get_current_head()
    assert graph.parents == {rev.revision: tuple(rev._all_down_revisions) for rev in script.walk_revisions()}
