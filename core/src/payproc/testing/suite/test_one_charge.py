"""One purchase, one processor charge — on the success path of every option
of a checkout, not only on declines — and a payment context the customer
has not paid yet is never failed by ``settle`` (they may still pay it)."""

from __future__ import annotations

from typing import Any

import pytest

from ...db.models import ChargeState
from ...types import PaymentContext
from ..driver import CUSTOMER, PROVIDER, Attempt, Driver
from ..requirements import requires

__all__ = ["TestAwaitingCustomer", "TestOneCharge"]

#: The checkout options (besides the token) an application may pass.
OPTIONS: dict[str, dict[str, Any]] = {
    "plain": {},
    "remember_card": {"remember_card": True},
    "broker_fee": {"broker_fee_amount": 150},
    "provider": {"provider": PROVIDER},
    "provider_and_broker_fee": {"provider": PROVIDER, "broker_fee_amount": 150},
}


@requires("get_payment_context", "create_payment")
class TestOneCharge:
    @pytest.mark.parametrize("option", sorted(OPTIONS))
    def test_a_paid_checkout_is_one_processor_charge(self, payproc_driver: Driver, option: str) -> None:
        options = dict(OPTIONS[option])
        remember = options.pop("remember_card", False)
        # Counted before the browser's part: with some processors the
        # browser's script already makes the payment (a confirmed intent).
        before = len(payproc_driver.processor_charges(None))
        paid_before = len(payproc_driver.succeeded_on_processor(None))
        charge = payproc_driver.submit(payproc_driver.prepare("success", 2000, **options), remember_card=remember)
        assert charge.state == ChargeState.DONE
        assert len(payproc_driver.succeeded_on_processor(None)) == paid_before + 1, (
            f"a checkout with {option} took money more than once")
        assert len(payproc_driver.processor_charges(None)) == before + 1, (
            f"a checkout with {option} made more than one processor charge")
        payproc_driver.assert_books_balance()
        card_key = payproc_driver.app.party(CUSTOMER).keys.card_key
        if not remember:
            assert card_key is None, f"a checkout with {option} kept a card on file"
            return
        if not getattr(payproc_driver.app.backend.backend_cls, "saves_card_with_payment", False):
            return  # the backend does not promise to keep the card with a payment
        assert card_key, "saves_card_with_payment is declared, but remember_card kept no card on file"
        if payproc_driver.app.backend.supports("create_charge"):  # the kept card pays
            again = payproc_driver.app.checkout(CUSTOMER, 1500, payproc_driver.currency)
            assert again.state == ChargeState.DONE
            assert len(payproc_driver.succeeded_on_processor(None)) == paid_before + 2


@requires("get_payment_context", "create_payment", "retrieve_charge")
class TestAwaitingCustomer:
    def test_settle_never_fails_a_context_the_customer_may_still_pay(self, payproc_driver: Driver) -> None:
        app = payproc_driver.app
        prepared = app.payment_context(CUSTOMER, 2000, payproc_driver.currency)
        key = prepared.idempotency_key or ""
        assert app.settle().charges == []
        assert payproc_driver.charge_by_key(key).state == ChargeState.AWAITING, (
            "settle() must not fail a charge whose customer has not tried to pay yet")
        # The customer now pays that same context.
        context = PaymentContext(prepared.values, prepared.token_field, payproc_driver.charge_by_key(key).reference)
        token, fields = payproc_driver.harness.pay(context, 2000, payproc_driver.currency)
        charge = payproc_driver.submit(Attempt(2000, payproc_driver.currency, token, dict(fields), key, context=context))
        assert charge.state == ChargeState.DONE
        assert len(payproc_driver.succeeded_on_processor(key)) == 1
        payproc_driver.assert_books_balance()

    def test_settle_after_the_browser_paid_books_the_payment(self, payproc_driver: Driver) -> None:
        attempt = payproc_driver.prepare("success", 2000)
        payproc_driver.app.settle()
        state = payproc_driver.charge_by_key(attempt.idempotency_key).state
        # Processors whose browser script pays (a confirmed PaymentIntent)
        # report it paid; token processors have nothing yet: awaiting.
        assert state in (ChargeState.DONE, ChargeState.AWAITING), f"settle made a payable context {state}"
        charge = payproc_driver.submit(attempt)
        assert charge.state == ChargeState.DONE
        assert len(payproc_driver.succeeded_on_processor(attempt.idempotency_key)) == 1
        payproc_driver.assert_books_balance()
