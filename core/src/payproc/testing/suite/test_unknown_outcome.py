"""An outcome that is unknown (timeout) is reported as unknown, never as a
failure, and settles through ``retrieve_charge``."""

from __future__ import annotations

import pytest

from ...db.models import ChargeState
from ...errors import OutcomeUnknown
from ..driver import Driver
from ..requirements import needs, requires

__all__ = ["TestUnknownOutcome"]


@needs("unknown_outcome")
@requires("get_payment_context", "create_payment", "retrieve_charge")
class TestUnknownOutcome:
    def test_lost_answer_is_unknown_then_settles(self, payproc_driver: Driver) -> None:
        attempt = payproc_driver.prepare("unknown", 2000)
        with pytest.raises(OutcomeUnknown):
            payproc_driver.submit(attempt)
        charge = payproc_driver.charge_by_key(attempt.idempotency_key)
        assert charge.state == ChargeState.CREATED, "an unknown outcome must not be recorded as failed"
        assert payproc_driver.ledger_rows(charge.id) == 0
        on_processor = payproc_driver.succeeded_on_processor(attempt.idempotency_key)
        assert len(on_processor) == 1, "the harness's 'unknown' outcome must make the charge"

        changed = payproc_driver.app.settle().charges
        assert [c.id for c in changed] == [charge.id]
        settled = payproc_driver.app.get_charge(charge.id)
        assert settled.state == ChargeState.DONE
        assert settled.processor_key == on_processor[0]["id"]
        assert payproc_driver.app.settle().charges == []
        payproc_driver.assert_books_balance()

    def test_settle_leaves_known_charges_alone(self, payproc_driver: Driver) -> None:
        paid = payproc_driver.pay("success", 2000)
        rows = payproc_driver.ledger_rows()
        assert payproc_driver.app.settle().charges == []
        assert payproc_driver.app.get_charge(paid.id).state == ChargeState.DONE
        assert payproc_driver.ledger_rows() == rows
