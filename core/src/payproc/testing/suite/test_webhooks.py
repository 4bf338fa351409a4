"""Webhooks: a correctly signed event is applied once however often it is
delivered; a tampered, forged, stale or unsigned one is refused and changes
nothing; events that arrive out of order end in the right state."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from ...db.models import ChargeState, DisputeRow, WebhookEventRow
from ...errors import ConfigurationError, OutcomeUnknown, WebhookVerificationError
from ...types import EventType
from ..driver import Driver, make_app
from ..requirements import needs, requires

__all__ = ["TestWebhooks"]


def _stored_events(driver: Driver) -> int:
    with driver.app.db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(WebhookEventRow)) or 0)


def _event_id() -> str:
    return f"evt_suite_{uuid.uuid4().hex[:16]}"


def _succeeded(driver: Driver, charge: Any, **options: Any) -> tuple[bytes, Any]:
    delivery: tuple[bytes, Any] = driver.harness.webhook(
        EventType.CHARGE_SUCCEEDED, charge.processor_key, amount=charge.amount, currency=charge.currency, **options)
    return delivery


def _signed_only(driver: Driver) -> None:
    """Signature checks apply to ``signed`` backends; a ``fetch`` backend's
    webhooks carry no signature (see test_forged_delivery_changes_nothing)."""
    if driver.app.backend.webhook_verification.value != "signed":
        pytest.skip(f"backend {driver.app.backend.name!r} declares webhook_verification='fetch': deliveries "
                    "are checked by the processor's API and re-read, not by a shared secret "
                    "(test_forged_delivery_changes_nothing covers forgeries)")


@requires("get_payment_context", "create_payment", "parse_webhook")
class TestWebhooks:
    def test_forged_delivery_changes_nothing(self, payproc_driver: Driver) -> None:
        """A forged body that names a real charge with another amount books
        nothing: a ``signed`` backend refuses it (wrong signature), a
        ``fetch`` backend re-reads the charge from the processor before any
        state change and finds what was really paid."""
        charge = payproc_driver.pay("success", 2000)
        rows, balances = payproc_driver.ledger_rows(), payproc_driver.app.balances()
        forged = payproc_driver.harness.webhook(EventType.CHARGE_SUCCEEDED, charge.processor_key, amount=1,
                                                currency=charge.currency, event_id=_event_id(), secret="forged")
        try:
            payproc_driver.app.handle_webhook(*forged)
        except WebhookVerificationError:
            pass  # refused outright: what a signed backend must do
        after = payproc_driver.app.get_charge(charge.id)
        assert (after.state, after.amount, bool(after.needs_review)) == (ChargeState.DONE, 2000, False)
        assert payproc_driver.ledger_rows() == rows and payproc_driver.app.balances() == balances
        payproc_driver.assert_books_balance()

    def test_signed_event_is_applied_once(self, payproc_driver: Driver) -> None:
        charge = payproc_driver.pay("success", 2000)
        rows = payproc_driver.ledger_rows()
        body, headers = _succeeded(payproc_driver, charge, event_id=_event_id())
        first = payproc_driver.app.handle_webhook(body, headers)
        assert (first.status, first.charge_id) == ("applied", charge.id)
        second = payproc_driver.app.handle_webhook(body, headers)
        assert second.status == "duplicate"
        assert payproc_driver.ledger_rows() == rows
        assert _stored_events(payproc_driver) == 1
        payproc_driver.assert_books_balance()

    def test_refused_deliveries_change_nothing(self, payproc_driver: Driver) -> None:
        _signed_only(payproc_driver)
        charge = payproc_driver.pay("success", 2000)
        rows = payproc_driver.ledger_rows()
        event_id = _event_id()
        body, headers = _succeeded(payproc_driver, charge, event_id=event_id)
        forged = _succeeded(payproc_driver, charge, event_id=event_id, secret="whsec_not_the_configured_secret")
        for bad_body, bad_headers in [forged, (body, {})]:
            with pytest.raises(WebhookVerificationError):
                payproc_driver.app.handle_webhook(bad_body, bad_headers)
        assert _stored_events(payproc_driver) == 0
        assert payproc_driver.ledger_rows() == rows
        # The genuine delivery of the same event is still accepted.
        assert payproc_driver.app.handle_webhook(body, headers).status == "applied"

    @needs("signed_body")
    def test_tampered_body_is_refused(self, payproc_driver: Driver) -> None:
        _signed_only(payproc_driver)
        charge = payproc_driver.pay("success", 2000)
        rows = payproc_driver.ledger_rows()
        body, headers = _succeeded(payproc_driver, charge, event_id=_event_id())
        tampered = body[:-1] + b" " + body[-1:]  # still valid JSON, no longer what was signed
        with pytest.raises(WebhookVerificationError):
            payproc_driver.app.handle_webhook(tampered, headers)
        assert _stored_events(payproc_driver) == 0
        assert payproc_driver.ledger_rows() == rows
        assert payproc_driver.app.handle_webhook(body, headers).status == "applied"

    @needs("stale_webhook")
    def test_stale_delivery_is_refused(self, payproc_driver: Driver) -> None:
        _signed_only(payproc_driver)
        charge = payproc_driver.pay("success", 2000)
        stale = _succeeded(payproc_driver, charge, event_id=_event_id(), timestamp=int(time.time()) - 3600)
        with pytest.raises(WebhookVerificationError):
            payproc_driver.app.handle_webhook(*stale)
        assert _stored_events(payproc_driver) == 0

    def test_no_webhook_secret_refuses_everything(
        self, payproc_driver: Driver, payproc_harness: Any, tmp_path: Any
    ) -> None:
        _signed_only(payproc_driver)
        charge = payproc_driver.pay("success", 2000)
        body, headers = _succeeded(payproc_driver, charge, event_id=_event_id())
        (tmp_path / "nosecret").mkdir()
        try:
            app = make_app(payproc_harness, tmp_path / "nosecret", WEBHOOK_SECRET=None)
            app.backend  # noqa: B018 - loading validates the settings
        except ConfigurationError:
            return  # the backend requires WEBHOOK_SECRET: closed at load time
        with pytest.raises((WebhookVerificationError, ConfigurationError)):
            app.handle_webhook(body, headers)

    @needs("dispute_webhook")
    def test_dispute_is_applied_once(self, payproc_driver: Driver) -> None:
        charge = payproc_driver.pay("success", 2000)
        body, headers = payproc_driver.harness.webhook(
            EventType.DISPUTE_CREATED, charge.processor_key, amount=charge.amount, currency=charge.currency,
            event_id=_event_id())
        assert payproc_driver.app.handle_webhook(body, headers).status == "applied"
        assert payproc_driver.app.get_charge(charge.id).state == ChargeState.DISPUTED
        balances = payproc_driver.app.balances()
        assert payproc_driver.app.handle_webhook(body, headers).status == "duplicate"
        assert payproc_driver.app.balances() == balances
        with payproc_driver.app.db.transaction() as session:
            assert session.scalar(select(func.count()).select_from(DisputeRow)) == 1
        payproc_driver.assert_books_balance()

    @needs("dispute_webhook")
    def test_late_success_does_not_undo_a_dispute(self, payproc_driver: Driver) -> None:
        charge = payproc_driver.pay("success", 2000)
        dispute = payproc_driver.harness.webhook(
            EventType.DISPUTE_CREATED, charge.processor_key, amount=charge.amount, currency=charge.currency,
            event_id=_event_id())
        late = _succeeded(payproc_driver, charge, event_id=_event_id())
        payproc_driver.app.handle_webhook(*dispute)
        balances = payproc_driver.app.balances()
        assert payproc_driver.app.handle_webhook(*late).status in ("applied", "ignored")
        assert payproc_driver.app.get_charge(charge.id).state == ChargeState.DISPUTED
        assert payproc_driver.app.balances() == balances
        payproc_driver.assert_books_balance()

    @needs("unknown_outcome")
    @requires("retrieve_charge")
    def test_event_before_the_charge_is_known(self, payproc_driver: Driver) -> None:
        attempt = payproc_driver.prepare("unknown", 2000)
        with pytest.raises(OutcomeUnknown):
            payproc_driver.submit(attempt)
        made = payproc_driver.succeeded_on_processor(attempt.idempotency_key)
        assert len(made) == 1
        event = payproc_driver.harness.webhook(
            EventType.CHARGE_SUCCEEDED, made[0]["id"], amount=2000, currency=payproc_driver.currency,
            event_id=_event_id())
        status = payproc_driver.app.handle_webhook(*event).status
        if status == "applied":
            # The event named the handle the payment context returned (kept
            # as the charge's reference): the charge is known by it.
            assert payproc_driver.charge_by_key(attempt.idempotency_key).state == ChargeState.DONE
        else:
            assert status == "pending", status  # kept until the charge is known
            assert payproc_driver.charge_by_key(attempt.idempotency_key).state == ChargeState.CREATED
        payproc_driver.app.settle()
        charge = payproc_driver.charge_by_key(attempt.idempotency_key)
        assert (charge.state, charge.processor_key) == (ChargeState.DONE, made[0]["id"])
        assert payproc_driver.app.handle_webhook(*event).status == "duplicate"
        payproc_driver.assert_books_balance()
