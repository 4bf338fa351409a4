"""Package-level promises: the entry point, and a cheap import."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points


def test_entry_point_names_the_backend() -> None:
    (entry,) = [e for e in entry_points(group="payproc.backends") if e.name == "paystack"]
    assert entry.value == "payproc_paystack.backend:PaystackBackend"


def test_import_loads_no_http_client() -> None:
    code = "import sys, payproc_paystack.backend; print('httpx' in sys.modules)"
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert answer.stdout.strip() == "False"
