"""Nothing leaves loopback: no identity look-up, no telemetry, no cache file.

This module runs last in the directory; ``conftest.pytest_sessionfinish``
also fails the whole run if any connection of the session was refused.
"""

from __future__ import annotations

import sys

import pytest
from payproc_flutterwave_legacy_tests_fakeserver import MERCINFO, VERIFY
from payproc_flutterwave_tests_helpers import context, new_key, request

GUARD = sys.modules["payproc_flutterwave_tests_netguard"].GUARD
is_loopback = sys.modules["payproc_flutterwave_tests_netguard"].is_loopback


@pytest.mark.parametrize(("host", "local"), [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("api.ravepay.co", False), ("signozservice-prod.f4b-flutterwave.com", False), ("10.0.0.1", False),
    ("8.8.8.8", False), ("::ffff:1.2.3.4", False), ("0.0.0.0", False),
])
def test_loopback_classifier(host, local):
    assert is_loopback(host) is local


def test_constructing_and_using_the_sdk_calls_only_the_configured_api(backend, fake):
    from rave_python import identity, telemetry, telemetryClient

    key = new_key()
    ctx = context(backend, 1000, "ngn", key)
    fake.create_transaction(ctx.reference, "10.00", "NGN")
    before = len(GUARD.connections)
    backend.call("create_payment", request=request(1000, "ngn", key), reference=ctx.reference)
    made = GUARD.connections[before:]
    assert made and all(is_loopback(detail[0]) for _kind, detail in made)
    assert fake.calls == [("POST", VERIFY)]  # the verify call, nothing else
    assert fake.count(MERCINFO) == 0
    # the SDK's side channels are switched off for the process
    assert identity.AppIdentityClient._instance is not None
    assert identity.AppIdentityClient._instance._app_id == "payproc-no-telemetry"
    assert telemetry.telemetry.post_sync("app.created", {}) == {}
    assert telemetryClient.telemetry is telemetry.telemetry is identity.telemetry
    assert telemetryClient.TelemetryClient._registered is True


def test_the_sdk_wrote_no_identity_cache_file():
    import os

    path = os.environ["FLW_SDK_STATE_PATH"]
    assert not os.path.exists(path)


def test_no_connection_left_loopback_during_the_suite():
    if GUARD.allowed_hosts:
        pytest.skip("sandbox mode: the sandbox host is allowed")
    assert GUARD.installed
    assert GUARD.connections, "the guard saw no connection at all: it is not recording"
    assert GUARD.violations == []
    assert all(is_loopback(detail[0]) for _kind, detail in GUARD.connections)


_PROBE = r"""
import importlib.util, json, os, sys, time, warnings
spec = importlib.util.spec_from_file_location("netguard", sys.argv[1])
netguard = importlib.util.module_from_spec(spec)
spec.loader.exec_module(netguard)
netguard.GUARD.install()  # refuses before DNS or connect: nothing leaves
warnings.simplefilter("ignore")
if sys.argv[2] == "silenced":
    from payproc_flutterwave.legacy.sdk import silence_side_channels
    silence_side_channels()
from rave_python.rave_card import Card
try:
    Card("FLWPUBK_TEST-probe", "FLWSECK_TEST-probe", False, False)
    error = None
except Exception as caught:
    error = type(caught).__name__
time.sleep(0.3)  # the telemetry thread, if any
print(json.dumps({"error": error, "attempts": [str(v[1][0]) for v in netguard.GUARD.violations],
                  "cache": os.path.exists(os.environ["FLW_SDK_STATE_PATH"])}))
"""


@pytest.mark.parametrize("mode", ["raw", "silenced"])
def test_sdk_construction_reaches_out_unless_silenced(tmp_path, mode):
    """In a child process under the same guard: rave_python's constructor
    tries Flutterwave's identity host and the telemetry service (refused by
    the guard before any packet); after ``silence_side_channels`` it tries
    nothing and writes no cache file."""
    import json
    import os
    import subprocess
    from pathlib import Path

    guard_file = Path(__file__).parent.parent / "netguard.py"
    env = {**os.environ, "FLW_SDK_STATE_PATH": str(tmp_path / "flw_sdk.json")}
    out = subprocess.run([sys.executable, "-c", _PROBE, str(guard_file), mode], env=env, check=True,
                         capture_output=True, text=True, timeout=60).stdout
    report = json.loads(out.strip().splitlines()[-1])
    if mode == "raw":
        assert "api.ravepay.co" in report["attempts"]
        assert any("signoz" in host for host in report["attempts"])
    else:
        assert report == {"error": None, "attempts": [], "cache": False}
