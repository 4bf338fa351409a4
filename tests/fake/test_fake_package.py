"""The distribution as a whole: settings, entry point, import cost, the
harness, and that every hook is implemented, documented and tested."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from payproc.backend import backend_capabilities, load_backend
from payproc.discovery import installed_backends
from payproc.errors import ConfigurationError
from payproc.hookspecs import BACKEND_HOOKS
from payproc.settings import BackendSettings
from payproc.testing.harness import BackendHarness
from payproc_fake.backend import FakeBackend
from payproc_fake.settings import FakeSettings

HERE = Path(__file__).parent
README = HERE.parents[1] / "plugins" / "payproc-fake" / "README.md"


def test_the_entry_point_names_the_backend():
    entry = installed_backends()["fake"]
    assert entry.value == "payproc_fake.backend:FakeBackend"
    assert entry.distribution == "payproc-fake"


UNSUPPORTED = frozenset(getattr(FakeBackend, "unsupported", {}))


def test_every_backend_hook_is_implemented_or_refused_with_a_reason():
    assert backend_capabilities(FakeBackend) == frozenset(BACKEND_HOOKS) - UNSUPPORTED
    assert UNSUPPORTED == {"capture_charge"}  # the fake captures at once: nothing else is missing
    assert all(reason.strip() for reason in FakeBackend.unsupported.values())


@pytest.mark.parametrize("hook", [hook for hook in BACKEND_HOOKS if hook not in UNSUPPORTED])
def test_every_hook_is_documented_and_tested(hook):
    assert f"`{hook}`" in README.read_text()
    tests = "".join(path.read_text() for path in HERE.glob("test_fake_*.py") if path.name != Path(__file__).name)
    assert f'"{hook}"' in tests or hook in ("settings_model", "configure")


def test_settings_defaults():
    settings = FakeSettings()
    assert (settings.ACCOUNT, settings.LATENCY_MS, settings.PUB_KEY, settings.WEBHOOK_SECRET) == (
        "acct_fake", 0, "pk_fake", None,
    )
    assert settings.BACKEND == "fake"


def test_the_backend_validates_its_section(account_name):
    backend = load_backend(BackendSettings(BACKEND="fake", ACCOUNT=account_name, LATENCY_MS=3), observers=False)
    assert isinstance(backend.settings, FakeSettings)
    assert backend.settings.LATENCY_MS == 3
    with pytest.raises(ConfigurationError, match="LATENCY_MS"):
        load_backend(BackendSettings(BACKEND="fake", LATENCY_MS=-1), observers=False)
    with pytest.raises(ConfigurationError, match="ACCOUNT"):
        load_backend(BackendSettings(BACKEND="fake", ACCOUNT=""), observers=False)


def test_configure_keeps_the_section_the_core_validated(account_name):
    backend = load_backend(BackendSettings(BACKEND="fake", ACCOUNT=account_name, LATENCY_MS=7), observers=False)
    assert isinstance(backend.impl.settings, FakeSettings) and backend.impl.settings is backend.settings
    assert (backend.impl.settings.ACCOUNT, backend.impl.settings.LATENCY_MS) == (account_name, 7)


def test_the_webhook_secret_stays_secret(backend, webhook_secret):
    assert webhook_secret not in repr(backend.settings)
    assert webhook_secret not in repr(backend.impl)
    assert webhook_secret not in str(backend.settings.model_dump())


def test_the_default_backend_is_the_fake():
    from payproc.settings import load_settings

    assert load_settings().PROCESSOR.BACKEND == "fake"


def test_importing_the_backend_is_light():
    # What the fake adds to the core's own imports: no SDK, no HTTP client,
    # no database layer, and a few milliseconds.
    code = (
        "import sys, time; import payproc.backend, payproc.types; before = set(sys.modules); "
        "t = time.perf_counter(); import payproc_fake.backend; dt = time.perf_counter() - t; "
        "added = {m.partition('.')[0] for m in set(sys.modules) - before}; "
        "heavy = sorted(added & {'sqlalchemy', 'stripe', 'razorpay', 'rave_python', 'requests', 'httpx', "
        "'urllib3', 'iso4217', 'asyncio'}); print(heavy, dt)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "[]", out
    assert float(out[-1]) < 0.25


def test_the_harness_satisfies_the_protocol(payproc_harness):
    assert isinstance(payproc_harness, BackendHarness)
    assert payproc_harness.capabilities == backend_capabilities(FakeBackend)


def test_the_harness_drives_the_backend(payproc_harness):
    from payproc.types import ChargeStatus, EventType, Party

    backend = load_backend(BackendSettings(**payproc_harness.processor_settings()), observers=False)
    party = Party("p")
    context = backend.call(
        "get_payment_context", subscriber=party, amount=100, currency="usd", provider=party, broker=party,
        broker_fee_amount=0, idempotency_key="h1",
    )
    outcomes = {}
    for outcome in ("success", "decline", "unknown"):
        token, fields = payproc_harness.pay(context, 100, "usd", outcome=outcome)
        assert fields == {}
        from payproc.types import PaymentRequest

        request = PaymentRequest(100, "usd", party, party, party, idempotency_key=f"h-{outcome}", token=token)
        try:
            outcomes[outcome] = backend.call("create_payment", request=request, reference=None).status
        except Exception as error:  # noqa: BLE001 - recording which error class each outcome gives
            outcomes[outcome] = type(error).__name__
    assert outcomes == {"success": ChargeStatus.SUCCEEDED, "decline": "CardError", "unknown": "OutcomeUnknown"}
    assert len(payproc_harness.processor_charges()) == 3
    [made] = payproc_harness.processor_charges("h-unknown")
    assert made["status"] == "succeeded"
    assert payproc_harness.card_token() == "tok_visa"
    body, headers = payproc_harness.webhook(EventType.CHARGE_SUCCEEDED, made["id"])
    assert backend.call("parse_webhook", body=body, headers=headers).charge_processor_key == made["id"]
    forged = payproc_harness.webhook(EventType.CHARGE_SUCCEEDED, made["id"], secret="whsec_other")
    from payproc.errors import WebhookVerificationError

    with pytest.raises(WebhookVerificationError):
        backend.call("parse_webhook", body=forged[0], headers=forged[1])
    with pytest.raises(ValueError):
        payproc_harness.card_token(outcome="explode")
