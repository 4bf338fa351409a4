"""The suite passes a correct backend, fails defective ones, and skips what a
backend declares it does not do, with the reason.

Each test writes a small backend test directory, as a third party would (a
conftest with a ``payproc_harness`` fixture and a module importing the
suite), and runs pytest on it in a subprocess.
"""

from __future__ import annotations

import fnmatch
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
FAKE_HARNESS = HERE.parent / "fake" / "harness.py"

CONFTEST = '''
import importlib.util, sys
import pytest

sys.path.insert(0, {here!r})
_spec = importlib.util.spec_from_file_location("suite_test_fake_harness", {harness!r})
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)

from payproc.hookspecs import BACKEND_HOOKS


class Harness(_module.FakeHarness):
    backend = {backend!r}
    capabilities = _module.FakeHarness.capabilities - frozenset({undeclared!r})


@pytest.fixture
def payproc_harness():
    harness = Harness()
    yield harness
    harness.close()
'''


class Run:
    """The outcome of one pytest run in a subprocess."""

    def __init__(self, output: str) -> None:
        self.output = output
        summary = output.strip().splitlines()[-1] if output.strip() else ""
        self.counts = {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|failed|skipped|errors?)", summary)}

    def assert_outcomes(self, **expected: int) -> None:
        got = {kind: self.counts.get(kind, 0) for kind in ("passed", "failed", "skipped")}
        want = {kind: expected.get(kind, 0) for kind in ("passed", "failed", "skipped")}
        assert got == want, self.output

    def assert_line(self, pattern: str) -> None:
        assert any(fnmatch.fnmatch(line, pattern) for line in self.output.splitlines()), (pattern, self.output)


def run_suite(tmp_path: Path, backend: str, *select: str, undeclared: tuple[str, ...] = (), extra: str = "") -> Run:
    """Write a backend test directory as a third party would (a conftest with
    a ``payproc_harness`` fixture, a module importing the suite) and run
    pytest on it in a subprocess."""
    (tmp_path / "conftest.py").write_text(CONFTEST.format(
        here=str(HERE), harness=str(FAKE_HARNESS), backend=backend, undeclared=undeclared) + extra)
    (tmp_path / "test_conformance.py").write_text("from payproc.testing.suite import *\n")
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", "-q", "-o", "addopts=",
               "--rootdir", str(tmp_path), str(tmp_path)]
    if select:
        command += ["-k", " or ".join(select)]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    return Run(done.stdout + done.stderr)


def test_the_fake_passes_the_whole_suite(tmp_path: Path) -> None:
    result = run_suite(tmp_path, "fake")
    assert result.counts.get("failed", 0) == 0 and result.counts.get("skipped", 0) == 0, result.output
    assert result.counts["passed"] >= 38


def test_declaring_a_capability_the_backend_lacks_fails(tmp_path: Path) -> None:
    result = run_suite(tmp_path, "broken_backends:NoTransfers", "TestCapabilities", "TestTransfers")
    result.assert_outcomes(failed=4, passed=4)
    result.assert_line("*declares capabilities it does not implement*create_transfer*")


def test_undeclared_capabilities_skip_with_the_backends_reason(tmp_path: Path) -> None:
    result = run_suite(tmp_path, "broken_backends:NoTransfers", "TestCapabilities", "TestTransfers",
                       undeclared=("create_transfer", "reconcile_transfers"))
    result.assert_outcomes(passed=5, skipped=3)
    result.assert_line("*does not declare create_transfer (this processor has no payouts API)*")


def test_implementing_an_undeclared_hook_fails(tmp_path: Path) -> None:
    result = run_suite(tmp_path, "fake", "TestCapabilities", undeclared=("refund_charge",))
    result.assert_outcomes(failed=1, passed=4)
    result.assert_line("*implements hooks it does not declare*refund_charge*")


def test_a_canned_success_is_caught_by_the_processor_backdoor(tmp_path: Path) -> None:
    result = run_suite(tmp_path, "broken_backends:CannedPayments", "test_valid_token_pays_with_a_receipt")
    result.assert_outcomes(failed=1)


def test_refunding_twice_is_caught(tmp_path: Path) -> None:
    result = run_suite(tmp_path, "broken_backends:RefundsTwice", "test_partial_then_full")
    result.assert_outcomes(failed=1)


def test_a_secret_in_the_logs_is_caught(tmp_path: Path) -> None:
    result = run_suite(tmp_path, "broken_backends:ChattyBackend", "TestSecrets")
    result.assert_outcomes(failed=1)
    # The suite's message names the secret by its first characters only
    # (pytest's own "Captured log" section shows what the backend logged).
    result.assert_line("*secret settings appear in logs, reprs or errors: ?'whs…(18 chars)'?")


def test_an_unverified_webhook_is_caught(tmp_path: Path) -> None:
    result = run_suite(tmp_path, "broken_backends:AcceptsAnyWebhook", "test_refused_deliveries_change_nothing",
                       "test_tampered_body_is_refused", "test_stale_delivery_is_refused",
                       "test_no_webhook_secret_refuses_everything")
    result.assert_outcomes(failed=4)


def test_harness_limitations_skip_with_their_reason(tmp_path: Path) -> None:
    result = run_suite(tmp_path, "fake", "test_stale_delivery_is_refused",
                       extra="\nHarness.limitations = {'stale_webhook': 'this processor signs no timestamp'}\n")
    result.assert_outcomes(skipped=1)
    result.assert_line("*cannot stage stale_webhook: this processor signs no timestamp*")


def test_a_misspelt_limitation_fails_naming_the_closest_feature(tmp_path: Path) -> None:
    """A typo in ``limitations`` would stage nothing and skip nothing: the
    suite says which name is unknown and which one was meant."""
    result = run_suite(tmp_path, "fake", "TestCapabilities",
                       extra="\nHarness.limitations = {'stale_webhooks': 'this processor signs no timestamp'}\n")
    result.assert_outcomes(failed=1, passed=4)
    result.assert_line("*limitations name unknown features: 'stale_webhooks' (did you mean 'stale_webhook'?)*")


def test_unknown_features_are_refused() -> None:
    from payproc.testing.requirements import needs

    with pytest.raises(ValueError, match="unknown suite features"):
        needs("time_travel")
