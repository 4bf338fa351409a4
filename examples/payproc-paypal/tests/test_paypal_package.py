"""Package-level promises: the entry point, a cheap import, the declared
webhook verification."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points


def test_entry_point_names_the_backend() -> None:
    (entry,) = [e for e in entry_points(group="payproc.backends") if e.name == "paypal"]
    assert entry.value == "payproc_paypal.backend:PayPalBackend"


def test_import_loads_no_http_client() -> None:
    code = "import sys, payproc_paypal.backend; print('httpx' in sys.modules)"
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert answer.stdout.strip() == "False"


def test_webhooks_are_verified_by_asking_paypal() -> None:
    from payproc_paypal.backend import PayPalBackend

    assert PayPalBackend.webhook_verification == "fetch"
