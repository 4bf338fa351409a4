"""Secrets (keys, webhook secrets) never appear in logs, reprs, printed
output or exceptions, with every logger at DEBUG."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from ...errors import PayprocError, WebhookVerificationError
from ...types import EventType
from ..driver import Driver, secret_values
from ..requirements import requires

__all__ = ["TestSecrets"]


def _describe(error: BaseException) -> str:
    parts = [str(error), repr(error), repr(error.args)]
    details = getattr(error, "processor_details", None)
    if callable(details):
        parts.append(details())
    for linked in (error.__cause__, error.__context__, getattr(error, "backend_except", None)):
        if linked is not None and linked is not error:
            parts.extend((str(linked), repr(linked)))
    return "\n".join(parts)


@requires("get_payment_context", "create_payment")
class TestSecrets:
    def test_no_secret_in_logs_reprs_or_errors(
        self, payproc_driver: Driver, payproc_harness: Any, caplog: pytest.LogCaptureFixture,
        capfd: pytest.CaptureFixture[str],
    ) -> None:
        caplog.set_level(logging.DEBUG)  # before the backend loads: configure() logs too
        app = payproc_driver.app
        secrets = secret_values(app, payproc_harness)
        assert secrets, "the harness configures no secret (PRIV_KEY, WEBHOOK_SECRET…): nothing to check"
        seen: list[str] = [repr(app), repr(app.backend), repr(app.backend.impl), repr(app.backend.settings),
                           str(app.backend.settings), repr(app.settings)]
        limitations = getattr(payproc_harness, "limitations", None) or {}
        for outcome in ("success", "decline"):
            if outcome in limitations:
                continue
            try:
                charge = payproc_driver.pay(outcome, 2000)
            except PayprocError as error:
                seen.append(_describe(error))
                continue
            if app.backend.supports("refund_charge"):
                app.refund(charge.id, 100)
            if app.backend.supports("parse_webhook"):
                body, headers = payproc_harness.webhook(
                    EventType.CHARGE_SUCCEEDED, charge.processor_key, amount=charge.amount,
                    currency=charge.currency, secret="whsec_wrong_secret_for_the_suite",
                    timestamp=int(time.time()))
                with pytest.raises(WebhookVerificationError) as caught:
                    app.handle_webhook(body, headers)
                seen.append(_describe(caught.value))
        try:
            app.refund(10_000)  # no such charge: the error path
        except Exception as error:  # noqa: BLE001 - any error message is checked
            seen.append(_describe(error))
        out, err = capfd.readouterr()
        seen.extend((caplog.text, out, err))
        text = "\n".join(seen)
        leaked = [f"{secret[:3]}…({len(secret)} chars)" for secret in secrets if secret in text]
        assert not leaked, f"secret settings appear in logs, reprs or errors: {leaked}"
