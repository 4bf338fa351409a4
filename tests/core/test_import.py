"""``import payproc`` stays light: no processor SDK, no plugin, no database layer."""

import json
import subprocess
import sys

HEAVY = ("stripe", "razorpay", "rave_python", "payproc_fake", "payproc_stripe", "payproc_razorpay",
         "payproc_flutterwave", "sqlalchemy", "requests", "iso4217")


def test_import_payproc_imports_no_sdk_plugin_or_database_layer():
    code = "import sys, json, payproc; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = set(json.loads(out))
    assert not [name for name in HEAVY if name in loaded]


def test_loading_the_fake_backend_imports_no_other_processor():
    code = ("import sys, json; from payproc.backend import load_backend; from payproc.settings import BackendSettings;"
            "load_backend(BackendSettings(BACKEND='fake')); print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = set(json.loads(out))
    assert "payproc_fake" in loaded
    assert not loaded & {"stripe", "razorpay", "rave_python", "payproc_stripe", "payproc_razorpay"}
