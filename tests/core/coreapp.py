"""Building a Payproc app on the fake backend for the core's tests (a module
with a unique name, so test directories' conftests never shadow it)."""

from __future__ import annotations

import uuid

from payproc.app import Payproc
from payproc.settings import load_settings

WEBHOOK_SECRET = "whsec_core_tests_0123456789"


def make_app(database_url: str, **processor: object) -> Payproc:
    section = {"BACKEND": "fake", "ACCOUNT": f"acct_{uuid.uuid4().hex[:10]}", "WEBHOOK_SECRET": WEBHOOK_SECRET}
    section.update(processor)
    app = Payproc(load_settings(DATABASE_URL=database_url, PROCESSOR=section))
    app.init_db()
    app.add_profile("cowork", "Cowork Space Ltd.")
    app.add_profile("alice", "Alice Martin", "alice@example.com")
    return app
