"""The card on file: store it, charge it off-session, replace it, delete it."""

from __future__ import annotations

import pytest

from ...db.models import ChargeState
from ...errors import CardError, NoPaymentMethod
from ..driver import CUSTOMER, Driver
from ..requirements import needs, requires

__all__ = ["TestCardOnFile"]


def _store(driver: Driver, outcome: str = "success") -> None:
    card = driver.app.update_card(CUSTOMER, driver.harness.card_token(outcome=outcome))
    assert card.last4 and len(card.last4) == 4, "the stored card shows no last4"


@requires("create_or_update_card")
class TestCardOnFile:
    def test_store(self, payproc_driver: Driver) -> None:
        _store(payproc_driver)
        assert payproc_driver.app.party(CUSTOMER).keys.card_key, "no card key kept after storing a card"

    @requires("retrieve_card")
    def test_retrieve(self, payproc_driver: Driver) -> None:
        assert payproc_driver.app.retrieve_card(CUSTOMER) is None
        _store(payproc_driver)
        card = payproc_driver.app.retrieve_card(CUSTOMER)
        assert card is not None and card.last4 and len(card.last4) == 4

    @requires("create_charge")
    def test_charge_card_on_file(self, payproc_driver: Driver) -> None:
        _store(payproc_driver)
        charge = payproc_driver.finish_pending(payproc_driver.app.checkout(CUSTOMER, 1500, payproc_driver.currency))
        assert charge.state == ChargeState.DONE and charge.processor_key
        on_processor = payproc_driver.succeeded_on_processor(charge.idempotency_key)
        assert [(c["id"], c["amount"]) for c in on_processor] == [(charge.processor_key, 1500)]
        payproc_driver.assert_books_balance()

    @requires("create_charge")
    def test_update_then_charge(self, payproc_driver: Driver) -> None:
        _store(payproc_driver)
        _store(payproc_driver)
        assert payproc_driver.app.party(CUSTOMER).keys.card_key
        charge = payproc_driver.finish_pending(payproc_driver.app.checkout(CUSTOMER, 1200, payproc_driver.currency))
        assert charge.state == ChargeState.DONE
        assert len(payproc_driver.succeeded_on_processor(charge.idempotency_key)) == 1

    @needs("decline")
    def test_declined_card_is_not_stored(self, payproc_driver: Driver) -> None:
        with pytest.raises(CardError):
            payproc_driver.app.update_card(CUSTOMER, payproc_driver.harness.card_token(outcome="decline"))
        assert payproc_driver.app.party(CUSTOMER).keys.card_key is None

    @needs("decline")
    def test_declined_update_keeps_the_old_card(self, payproc_driver: Driver) -> None:
        _store(payproc_driver)
        before = payproc_driver.app.party(CUSTOMER).keys.card_key
        with pytest.raises(CardError):
            payproc_driver.app.update_card(CUSTOMER, payproc_driver.harness.card_token(outcome="decline"))
        assert payproc_driver.app.party(CUSTOMER).keys.card_key == before

    @requires("delete_card")
    def test_delete(self, payproc_driver: Driver) -> None:
        _store(payproc_driver)
        payproc_driver.app.delete_card(CUSTOMER)
        assert payproc_driver.app.party(CUSTOMER).keys.card_key is None
        assert payproc_driver.app.retrieve_card(CUSTOMER) is None
        with pytest.raises(NoPaymentMethod):
            payproc_driver.app.checkout(CUSTOMER, 1000, payproc_driver.currency)
