"""Customer action: the processor answers "the customer must act" (3-D
Secure, an approval on the processor's page). The charge waits in
``requires_action`` holding no money; the customer's return
(``Payproc.complete``) and the processor's webhook both finish it, whichever
comes first, and it is booked exactly once. A customer who never comes back
is never recorded as failed while the processor may still take their money.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from ...db.models import ChargeRow, ChargeState
from ...errors import CardError
from ...types import EventType
from ..driver import Driver, make_app
from ..requirements import needs, requires

__all__ = ["TestCustomerAction"]


def _challenged(driver: Driver, amount: int = 2000) -> tuple[ChargeRow, dict[str, Any]]:
    """A checkout the processor answered ``requires_action`` for."""
    attempt = driver.prepare("challenge", amount)
    charge = driver.submit(attempt)
    assert charge.state == ChargeState.REQUIRES_ACTION, (
        f"a payment that needs the customer must be requires_action, not {charge.state}")
    assert charge.next_action and charge.next_action.get("kind") in ("redirect", "script"), (
        "the charge must keep the next action (redirect URL or data for the processor's script)")
    assert charge.processor_key, "the charge must keep the processor's handle while the customer acts"
    assert driver.ledger_rows(charge.id) == 0, "nothing is booked before the customer acted"
    assert driver.succeeded_on_processor(charge.idempotency_key) == []
    return charge, dict(charge.next_action)


def _customer_acts(driver: Driver, charge: ChargeRow, next_action: dict[str, Any], outcome: str) -> dict[str, str]:
    params: dict[str, str] = dict(driver.harness.challenge(charge.processor_key, next_action, outcome=outcome))
    return params


def _succeeded_event(driver: Driver, charge: ChargeRow) -> tuple[bytes, Any]:
    delivery: tuple[bytes, Any] = driver.harness.webhook(
        EventType.CHARGE_SUCCEEDED, charge.processor_key, amount=charge.amount, currency=charge.currency)
    return delivery


def _assert_paid_once(driver: Driver, charge: ChargeRow) -> None:
    done = driver.app.get_charge(charge.id)
    assert done.state == ChargeState.DONE
    assert [c["id"] for c in driver.succeeded_on_processor(charge.idempotency_key)] == [done.processor_key]
    assert driver.ledger_rows(charge.id) > 0
    driver.assert_books_balance()


@needs("customer_action")
@requires("get_payment_context", "create_payment", "complete_payment")
class TestCustomerAction:
    def test_challenge_succeeded(self, payproc_driver: Driver) -> None:
        charge, action = _challenged(payproc_driver)
        params = _customer_acts(payproc_driver, charge, action, "success")
        done = payproc_driver.app.complete(charge.idempotency_key, params)
        assert done.state == ChargeState.DONE and done.next_action is None
        _assert_paid_once(payproc_driver, charge)

    def test_challenge_failed(self, payproc_driver: Driver) -> None:
        charge, action = _challenged(payproc_driver)
        params = _customer_acts(payproc_driver, charge, action, "fail")
        with pytest.raises(CardError) as caught:
            payproc_driver.app.complete(charge.idempotency_key, params)
        assert caught.value.code, "a failed challenge is a CardError with the processor's code"
        failed = payproc_driver.app.get_charge(charge.id)
        assert failed.state == ChargeState.FAILED
        assert payproc_driver.ledger_rows(charge.id) == 0
        assert payproc_driver.succeeded_on_processor(charge.idempotency_key) == []
        payproc_driver.assert_books_balance()

    @requires("retrieve_charge")
    def test_customer_never_returns(self, payproc_driver: Driver, payproc_harness: Any, tmp_path: Any) -> None:
        charge, _action = _challenged(payproc_driver)
        # Settling while the customer may still act changes nothing.
        assert payproc_driver.app.settle().charges == []
        assert payproc_driver.app.get_charge(charge.id).state == ChargeState.REQUIRES_ACTION
        # Long after, it is abandoned: expired once the processor cancelled
        # it; never failed while it could still be paid.
        later = make_app(payproc_harness, tmp_path, core={"ABANDON_AFTER": timedelta(microseconds=1)})
        later.settle()
        left = later.get_charge(charge.id)
        if later.backend.supports("cancel_payment"):
            assert left.state == ChargeState.EXPIRED
            assert payproc_driver.succeeded_on_processor(charge.idempotency_key) == []
        else:
            assert left.state == ChargeState.REQUIRES_ACTION, "without cancel_payment nothing may expire it"
        assert payproc_driver.ledger_rows(charge.id) == 0
        payproc_driver.assert_books_balance()

    @needs("paid_before_return")
    @requires("parse_webhook")
    def test_webhook_before_return(self, payproc_driver: Driver) -> None:
        charge, action = _challenged(payproc_driver)
        params = _customer_acts(payproc_driver, charge, action, "success")
        outcome = payproc_driver.app.handle_webhook(*_succeeded_event(payproc_driver, charge))
        assert (outcome.status, outcome.charge_id) == ("applied", charge.id)
        assert payproc_driver.app.get_charge(charge.id).state == ChargeState.DONE
        rows = payproc_driver.ledger_rows()
        assert payproc_driver.app.complete(charge.idempotency_key, params).state == ChargeState.DONE
        assert payproc_driver.ledger_rows() == rows, "the return booked a payment the webhook had booked"
        _assert_paid_once(payproc_driver, charge)

    @requires("parse_webhook")
    def test_return_before_webhook(self, payproc_driver: Driver) -> None:
        charge, action = _challenged(payproc_driver)
        params = _customer_acts(payproc_driver, charge, action, "success")
        assert payproc_driver.app.complete(charge.idempotency_key, params).state == ChargeState.DONE
        rows = payproc_driver.ledger_rows()
        outcome = payproc_driver.app.handle_webhook(*_succeeded_event(payproc_driver, charge))
        assert outcome.status in ("applied", "ignored")
        assert payproc_driver.ledger_rows() == rows, "the webhook booked a payment the return had booked"
        _assert_paid_once(payproc_driver, charge)

    def test_return_twice(self, payproc_driver: Driver) -> None:
        charge, action = _challenged(payproc_driver)
        params = _customer_acts(payproc_driver, charge, action, "success")
        first = payproc_driver.app.complete(charge.idempotency_key, params)
        rows = payproc_driver.ledger_rows()
        again = payproc_driver.app.complete(charge.id, params)
        assert (first.state, again.state, again.processor_key) == (ChargeState.DONE, ChargeState.DONE,
                                                                    first.processor_key)
        assert payproc_driver.ledger_rows() == rows
        _assert_paid_once(payproc_driver, charge)

    def test_return_before_acting_changes_nothing(self, payproc_driver: Driver) -> None:
        charge, _action = _challenged(payproc_driver)
        # The customer comes back without doing anything (or forges a return).
        after = payproc_driver.app.complete(charge.idempotency_key, {"status": "succeeded"})
        assert after.state == ChargeState.REQUIRES_ACTION
        assert payproc_driver.ledger_rows(charge.id) == 0
        assert payproc_driver.succeeded_on_processor(charge.idempotency_key) == []
