"""Retrying the same charge reuses its idempotency key and never charges
twice."""

from __future__ import annotations

import pytest

from ...db.models import ChargeState
from ...errors import OutcomeUnknown
from ..driver import Driver
from ..requirements import needs, requires

__all__ = ["TestIdempotency"]


@requires("get_payment_context", "create_payment")
class TestIdempotency:
    def test_posting_the_form_twice_charges_once(self, payproc_driver: Driver) -> None:
        attempt = payproc_driver.prepare("success", 2000)
        first = payproc_driver.submit(attempt)
        again = payproc_driver.submit(attempt)
        assert (again.id, again.state, again.processor_key) == (first.id, ChargeState.DONE, first.processor_key)
        assert len(payproc_driver.succeeded_on_processor(attempt.idempotency_key)) == 1
        payproc_driver.assert_books_balance()

    @needs("unknown_outcome")
    def test_retry_after_a_lost_answer_reuses_the_key(self, payproc_driver: Driver) -> None:
        attempt = payproc_driver.prepare("unknown", 2000)
        with pytest.raises(OutcomeUnknown):
            payproc_driver.submit(attempt)
        assert payproc_driver.charge_by_key(attempt.idempotency_key).state == ChargeState.CREATED
        retried = payproc_driver.submit(attempt)
        assert retried.state == ChargeState.DONE
        on_processor = payproc_driver.succeeded_on_processor(attempt.idempotency_key)
        assert [c["id"] for c in on_processor] == [retried.processor_key], "the retry charged a second time"
        payproc_driver.assert_books_balance()
