"""The suite passes a correct backend, fails defective ones, and skips what a
backend declares it does not do, with the reason.

Each test writes a small backend test directory, as a third party would (a
conftest with a ``payproc_harness`` fixture and a module importing the
suite), and runs pytest on it in-process.
"""

from __future__ import annotations

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
    capabilities = frozenset(BACKEND_HOOKS) - frozenset({undeclared!r})


@pytest.fixture
def payproc_harness():
    harness = Harness()
    yield harness
    harness.close()
'''


def run_suite(pytester: pytest.Pytester, backend: str, *select: str, undeclared: tuple[str, ...] = ()) -> pytest.RunResult:
    pytester.makeconftest(CONFTEST.format(here=str(HERE), harness=str(FAKE_HARNESS), backend=backend,
                                          undeclared=undeclared))
    pytester.makepyfile(test_conformance="from payproc.testing.suite import *\n")
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rs", *(["-k", " or ".join(select)] if select else []))


def test_the_fake_passes_the_whole_suite(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "fake")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0 and outcomes.get("skipped", 0) == 0, result.stdout.str()
    assert outcomes["passed"] >= 38


def test_declaring_a_capability_the_backend_lacks_fails(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "broken_backends:NoTransfers", "TestCapabilities", "TestTransfers")
    result.assert_outcomes(failed=4, passed=3)
    result.stdout.fnmatch_lines(["*declares capabilities it does not implement*create_transfer*"])


def test_undeclared_capabilities_skip_with_the_backends_reason(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "broken_backends:NoTransfers", "TestCapabilities", "TestTransfers",
                       undeclared=("create_transfer", "reconcile_transfers"))
    result.assert_outcomes(passed=4, skipped=3)
    result.stdout.fnmatch_lines(["*does not declare create_transfer (this processor has no payouts API)*"])


def test_implementing_an_undeclared_hook_fails(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "fake", "TestCapabilities", undeclared=("refund_charge",))
    result.assert_outcomes(failed=1, passed=3)
    result.stdout.fnmatch_lines(["*implements hooks it does not declare*refund_charge*"])


def test_a_canned_success_is_caught_by_the_processor_backdoor(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "broken_backends:CannedPayments", "test_valid_token_pays_with_a_receipt")
    result.assert_outcomes(failed=1)


def test_refunding_twice_is_caught(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "broken_backends:RefundsTwice", "test_partial_then_full")
    result.assert_outcomes(failed=1)


def test_a_secret_in_the_logs_is_caught(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "broken_backends:ChattyBackend", "TestSecrets")
    result.assert_outcomes(failed=1)
    # The suite's message names the secret by its first characters only
    # (pytest's own "Captured log" section shows what the backend logged).
    result.stdout.fnmatch_lines(["*secret settings appear in logs, reprs or errors: ?'whs…(18 chars)'?"])


def test_an_unverified_webhook_is_caught(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "broken_backends:AcceptsAnyWebhook", "test_refused_deliveries_change_nothing",
                       "test_tampered_body_is_refused", "test_stale_delivery_is_refused",
                       "test_no_webhook_secret_refuses_everything")
    result.assert_outcomes(failed=4)


def test_harness_limitations_skip_with_their_reason(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST.format(here=str(HERE), harness=str(FAKE_HARNESS), backend="fake", undeclared=())
                          + "\nHarness.limitations = {'stale_webhook': 'this processor signs no timestamp'}\n")
    pytester.makepyfile(test_conformance="from payproc.testing.suite import *\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rs", "-k", "test_stale_delivery_is_refused")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*cannot stage stale_webhook: this processor signs no timestamp*"])


def test_unknown_features_are_refused() -> None:
    from payproc.testing.requirements import needs

    with pytest.raises(ValueError, match="unknown suite features"):
        needs("time_travel")
