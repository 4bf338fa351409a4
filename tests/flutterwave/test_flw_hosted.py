"""A hosted checkout (``CHECKOUT = "hosted"``) through the core's public API:
the payment context is a redirect to Flutterwave's ``/v3/payments`` link,
the customer pays there and comes back, the return is verified."""

from __future__ import annotations

import pytest
from payproc.db.models import ChargeState
from payproc.testing.driver import make_app
from payproc_flutterwave.refs import tx_ref_for

RETURN_URL = "https://shop.example/payproc/return/1"


@pytest.fixture
def hosted(payproc_harness, tmp_path):
    app = make_app(payproc_harness, tmp_path, CHECKOUT="hosted")
    yield app
    app.db.dispose()


def _context(app, fake):
    prepared = app.payment_context("xia", 250000, "ngn", return_url=RETURN_URL)
    action = prepared.next_action
    assert action and action["kind"] == "redirect" and action["url"].startswith(fake.url + "v3/hosted/pay/")
    sent = fake.hosted(action["url"])
    assert (sent["tx_ref"], sent["amount"], sent["redirect_url"]) == (
        tx_ref_for(prepared.idempotency_key), 2500, RETURN_URL)
    return prepared, sent["tx_ref"]


def test_paid_on_the_hosted_page_then_back(hosted, fake):
    prepared, tx_ref = _context(hosted, fake)
    paid = fake.pay(tx_ref, "2500.00", "NGN")
    params = {"status": "successful", "tx_ref": tx_ref, "transaction_id": str(paid.id)}
    done = hosted.complete(prepared.idempotency_key, params)
    assert (done.state, done.processor_key) == (ChargeState.DONE, str(paid.id))
    assert hosted.complete(prepared.idempotency_key, params).state == ChargeState.DONE  # a reload
    assert len(fake.by_ref(tx_ref)) == 1 and hosted.check_books().balanced


def test_back_without_paying_leaves_the_charge_payable(hosted, fake):
    prepared, tx_ref = _context(hosted, fake)
    back = hosted.complete(prepared.idempotency_key, {"status": "cancelled", "tx_ref": tx_ref})
    assert back.state in (ChargeState.AWAITING, ChargeState.CREATED) and back.state != ChargeState.FAILED
    assert hosted.settle().charges == []  # never failed while the customer may still pay
    paid = fake.pay(tx_ref, "2500.00", "NGN")  # the customer tries again with the same link
    done = hosted.complete(prepared.idempotency_key, {"transaction_id": str(paid.id)})
    assert done.state == ChargeState.DONE and hosted.check_books().balanced


def test_a_forged_return_changes_nothing(hosted, fake):
    from payproc.errors import IntegrityMismatch

    prepared, tx_ref = _context(hosted, fake)
    claimed = hosted.complete(prepared.idempotency_key, {"status": "successful", "tx_ref": tx_ref})
    assert claimed.state != ChargeState.DONE  # nothing paid under this tx_ref: the status param is not proof
    elsewhere = fake.pay(tx_ref_for("someone-else"), "2500.00", "NGN")
    with pytest.raises(IntegrityMismatch, match="answered for"):
        hosted.complete(prepared.idempotency_key, {"status": "successful", "transaction_id": str(elsewhere.id)})
    assert hosted.get_charge(claimed.id).state != ChargeState.DONE
    assert hosted.check_books().balanced and hosted.balances() == {}
