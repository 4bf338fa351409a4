"""The two-step token flow: the payment context gives the browser what it
needs, the token it brings back pays, a declined card changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ...db.models import ChargeState
from ...errors import CardError, NoPaymentMethod
from ..driver import CUSTOMER, Driver, secret_values
from ..requirements import needs, requires

__all__ = ["TestPaymentContext", "TestPayments"]


@requires("get_payment_context")
class TestPaymentContext:
    def test_context_has_what_the_browser_needs(self, payproc_driver: Driver) -> None:
        app = payproc_driver.app
        prepared = app.payment_context(CUSTOMER, 2000, payproc_driver.currency)
        assert prepared.values, "the payment context gives the browser nothing"
        assert prepared.token_field == app.backend.token_field
        json.dumps(dict(prepared.values), default=str)  # the page embeds it as is
        # The charge is recorded before the browser sees anything: awaiting
        # the customer (not attempted; nothing may fail it while they can pay).
        charge = payproc_driver.charge_by_key(prepared.idempotency_key or "")
        assert (charge.state, charge.amount, charge.currency) == (ChargeState.AWAITING, 2000, payproc_driver.currency)

    def test_context_carries_no_secret(self, payproc_driver: Driver, payproc_harness: Any) -> None:
        app = payproc_driver.app
        page = json.dumps(dict(app.payment_context(CUSTOMER, 2000, payproc_driver.currency).values), default=str)
        page += json.dumps(dict(app.payment_context(CUSTOMER).values), default=str)
        leaked = [secret for secret in secret_values(app, payproc_harness) if secret in page]
        assert not leaked, "the payment context (sent to the browser) contains a secret setting"

    def test_context_for_a_card_update_records_no_charge(self, payproc_driver: Driver) -> None:
        prepared = payproc_driver.app.payment_context(CUSTOMER)
        assert prepared.idempotency_key is None
        assert payproc_driver.app.list_charges() == []


@requires("get_payment_context", "create_payment")
class TestPayments:
    def test_valid_token_pays_with_a_receipt(self, payproc_driver: Driver) -> None:
        charge = payproc_driver.pay("success", 2000)
        assert charge.state == ChargeState.DONE
        assert charge.processor_key, "a paid charge must carry the processor's key"
        if "card_receipt" in (getattr(payproc_driver.harness, "limitations", None) or {}):
            # a wallet (PayPal): the receipt names the account, not a card
            assert charge.brand and charge.card_name, "no receipt (brand and account)"
        else:
            assert charge.last4 and len(charge.last4) == 4 and charge.last4.isdigit(), "no receipt (last4)"
        on_processor = payproc_driver.succeeded_on_processor(charge.idempotency_key)
        assert [c["id"] for c in on_processor] == [charge.processor_key]
        assert (on_processor[0]["amount"], str(on_processor[0]["currency"]).lower()) == (2000, charge.currency)
        assert payproc_driver.balance("processor", "Funds") >= 0
        assert payproc_driver.ledger_rows(charge.id) > 0
        payproc_driver.assert_books_balance()

    @needs("decline")
    def test_declined_token_is_a_card_error_that_changes_nothing(self, payproc_driver: Driver) -> None:
        attempt = payproc_driver.prepare("decline", 2000)
        with pytest.raises(CardError) as caught:
            payproc_driver.submit(attempt)
        assert caught.value.code, "a CardError must carry the processor's code"
        charge = payproc_driver.charge_by_key(attempt.idempotency_key)
        assert charge.state == ChargeState.FAILED
        assert payproc_driver.ledger_rows(charge.id) == 0
        assert payproc_driver.app.party(CUSTOMER).keys.card_key is None
        assert payproc_driver.succeeded_on_processor(attempt.idempotency_key) == []
        payproc_driver.assert_books_balance()

    @needs("decline")
    @requires("create_or_update_card")
    def test_declined_token_kept_as_card_leaves_no_card_key(self, payproc_driver: Driver) -> None:
        attempt = payproc_driver.prepare("decline", 2000)
        with pytest.raises(CardError):
            payproc_driver.submit(attempt, remember_card=True)
        assert payproc_driver.app.party(CUSTOMER).keys.card_key is None
        assert payproc_driver.charge_by_key(attempt.idempotency_key).state == ChargeState.FAILED
        assert payproc_driver.ledger_rows() == 0
        payproc_driver.assert_books_balance()

    def test_no_token_and_no_card_is_refused(self, payproc_driver: Driver) -> None:
        with pytest.raises(NoPaymentMethod, match="is not associated to an account on the processor"):
            payproc_driver.app.checkout(CUSTOMER, 2000, payproc_driver.currency)
        assert payproc_driver.ledger_rows() == 0
