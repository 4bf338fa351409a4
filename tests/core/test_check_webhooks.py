"""``payproc check`` and the backend's declared webhook verification: a
``signed`` backend needs ``WEBHOOK_SECRET`` (every webhook is refused
without it), a ``fetch`` backend has no secret to give and is not asked
for one."""

from __future__ import annotations

import pytest
from payproc.cli import main


@pytest.fixture
def configured(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path}/check.sqlite3"
    monkeypatch.setenv("PAYPROC_PROCESSOR__BACKEND", "fake")
    monkeypatch.setenv("PAYPROC_DATABASE_URL", url)
    monkeypatch.delenv("PAYPROC_PROCESSOR__WEBHOOK_SECRET", raising=False)
    assert main(["db", "init"]) == 0


def test_a_signed_backend_without_a_secret_is_a_problem(configured, capsys):
    capsys.readouterr()
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "webhooks: signed (signed with WEBHOOK_SECRET)" in out
    assert "problem: PROCESSOR.WEBHOOK_SECRET is not set: every webhook will be refused" in out


def test_a_fetch_backend_needs_no_secret(configured, capsys, monkeypatch):
    from payproc_fake.backend import FakeBackend

    monkeypatch.setattr(FakeBackend, "webhook_verification", "fetch")
    capsys.readouterr()
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "webhooks: fetch (re-read from the processor with the API key; no secret exists)" in out
    assert "WEBHOOK_SECRET" not in out and out.strip().endswith("ok")
