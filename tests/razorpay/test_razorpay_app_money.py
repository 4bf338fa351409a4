"""Refunds and payouts whose answer was lost, through the core's public
API: settled by asking Razorpay, made once (issue 17 items 3 and 6)."""

from __future__ import annotations

import pytest
from payproc.errors import OutcomeUnknown
from razorpay_app import CUSTOMER, PROVIDER_SLUG


@pytest.fixture
def paid(shop):
    key, token, fields = shop.pay_page(500000)
    return shop.app.checkout(CUSTOMER, 500000, "inr", token, idempotency_key=key, browser_fields=fields,
                             provider=PROVIDER_SLUG)


def test_a_payout_is_keyed_and_its_lost_answer_settled_once(shop, paid, fake, backdoor):
    first = shop.app.create_transfer(PROVIDER_SLUG, 100000, "inr", idempotency_key="payout-2026-12-03")
    again = shop.app.create_transfer(PROVIDER_SLUG, 100000, "inr", idempotency_key="payout-2026-12-03")
    assert first.processor_key == again.processor_key and len(fake.state.transfers) == 1
    sent = {h.get("X-Transfer-Idempotency") for m, p, h in fake.state.request_headers if p == "/v1/transfers"
            and m == "POST"}
    assert sent == {"payout-2026-12-03"}
    backdoor.lose_next_answer("transfer")
    with pytest.raises(OutcomeUnknown):
        shop.app.create_transfer(PROVIDER_SLUG, 50000, "inr", idempotency_key="payout-lost")
    report = shop.app.settle()
    assert [t.state for t in report.transfers] == ["paid"]
    assert len(fake.state.transfers) == 2
    retried = shop.app.create_transfer(PROVIDER_SLUG, 50000, "inr", idempotency_key="payout-lost")
    assert len(fake.state.transfers) == 2 and retried.processor_key in fake.state.transfers
    assert shop.app.check_books().balanced


def test_a_refund_whose_answer_was_lost_is_settled_once(shop, paid, fake, backdoor):
    backdoor.lose_next_answer("refund")
    with pytest.raises(OutcomeUnknown):
        shop.app.refund(paid.id, 20000, idempotency_key="refund-lost")
    report = shop.app.settle()
    assert [r.state for r in report.refunds] == ["done"]
    assert fake.state.payments[paid.processor_key]["amount_refunded"] == 20000
    shop.app.refund(paid.id, 20000, idempotency_key="refund-lost")  # a retry with the key: no second refund
    assert fake.state.payments[paid.processor_key]["amount_refunded"] == 20000
    assert shop.app.get_charge(paid.id).amount_refunded == 20000 and shop.app.check_books().balanced
