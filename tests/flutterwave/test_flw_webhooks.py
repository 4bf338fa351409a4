"""v3 webhooks: the verif-hash header (constant time, fail closed), then the
API's word on the transaction before anything changes."""

from __future__ import annotations

import json

import pytest
from payproc.db.models import ChargeState
from payproc.errors import WebhookVerificationError
from payproc.types import EventType
from payproc_flutterwave_tests_fakeserver import DECLINED_CARD, VERIFY_BY_REF, WEBHOOK_HASH
from payproc_flutterwave_tests_helpers import context, new_key


def paid(backend, fake, amount=250000, card=None):
    ctx = context(backend, amount, "ngn", new_key())
    return fake.pay(ctx.reference, ctx.values["amount"], "ngn", **({"card": card} if card else {}))


def test_charge_completed_webhook(backend, payproc_harness, fake):
    made = paid(backend, fake)
    body, headers = payproc_harness.webhook(EventType.CHARGE_SUCCEEDED, str(made.id))
    event = backend.call("parse_webhook", body=body, headers=headers)
    assert event.type is EventType.CHARGE_SUCCEEDED and event.charge_processor_key == str(made.id)
    assert (event.amount, event.currency) == (250000, "ngn")
    assert event.processor_type == "charge.completed" and event.livemode is False
    assert event.event_id == backend.call("parse_webhook", body=body, headers=headers).event_id  # redelivery


def test_the_event_is_what_the_api_says_not_the_body(backend, payproc_harness, fake):
    """Someone who knows the hash claims success, for more, for a declined
    payment: the event says what Flutterwave's API says."""
    made = paid(backend, fake, amount=1000, card=DECLINED_CARD)
    body, headers = payproc_harness.webhook(EventType.CHARGE_SUCCEEDED, str(made.id), amount=99900, currency="ngn")
    claims = json.loads(body)["data"]
    assert claims["status"] == "successful" and claims["amount"] == "999.00"
    calls = fake.count(VERIFY_BY_REF)
    event = backend.call("parse_webhook", body=body, headers=headers)
    assert fake.count(VERIFY_BY_REF) == calls + 1
    assert event.type is EventType.CHARGE_FAILED and (event.amount, event.charge_processor_key) == (1000, str(made.id))


def test_a_transaction_the_api_does_not_know_is_refused(backend, fake):
    body = json.dumps({"event": "charge.completed", "data": {"id": 1, "tx_ref": "payproc-invented",
                                                             "status": "successful", "amount": 10}}).encode()
    with pytest.raises(WebhookVerificationError, match="knows no transaction"):
        backend.call("parse_webhook", body=body, headers={"verif-hash": WEBHOOK_HASH})


def test_an_event_about_no_charge_is_ignored_without_calling_the_api(backend, fake):
    body = json.dumps({"event": "transfer.completed", "data": {"id": 9, "status": "SUCCESSFUL",
                                                               "reference": "payout-1"}}).encode()
    event = backend.call("parse_webhook", body=body, headers={"verif-hash": WEBHOOK_HASH})
    assert event.type is EventType.IGNORED and fake.calls == []


@pytest.mark.parametrize("headers", [{}, {"verif-hash": ""}, {"verif-hash": "wrong"},
                                     {"verif-hash": WEBHOOK_HASH[:-1] + "W"}, {"verif-hash-other": WEBHOOK_HASH}])
def test_a_missing_or_wrong_hash_is_refused_before_any_api_call(backend, payproc_harness, fake, headers):
    made = paid(backend, fake)
    body, _good = payproc_harness.webhook(EventType.CHARGE_SUCCEEDED, str(made.id))
    with pytest.raises(WebhookVerificationError):
        backend.call("parse_webhook", body=body, headers=headers)
    assert fake.calls == []


def test_no_configured_secret_fails_closed(backend_with, fake):
    backend = backend_with(WEBHOOK_SECRET=None)
    assert backend.webhook_verification.value == "signed"
    with pytest.raises(WebhookVerificationError, match="no WEBHOOK_SECRET"):
        backend.call("parse_webhook", body=b'{"data": {"tx_ref": "x"}}', headers={"verif-hash": ""})
    assert fake.calls == []


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]"])
def test_a_malformed_body_is_refused(backend, body):
    with pytest.raises(WebhookVerificationError):
        backend.call("parse_webhook", body=body, headers={"verif-hash": WEBHOOK_HASH})


def test_the_hash_is_compared_in_constant_time(backend, payproc_harness, fake, monkeypatch):
    import hmac

    seen = []
    real = hmac.compare_digest

    def spy(a, b):
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    made = paid(backend, fake)
    body, headers = payproc_harness.webhook(EventType.CHARGE_SUCCEEDED, str(made.id))
    backend.call("parse_webhook", body=body, headers=headers)
    assert seen == [(WEBHOOK_HASH.encode(), WEBHOOK_HASH.encode())]


def test_a_changed_body_under_the_right_hash_changes_nothing_in_the_books(payproc_driver):
    """What Flutterwave offers instead of a body signature (the suite's
    tampered-body test skips: ``signed_body``)."""
    charge = payproc_driver.pay("success", 2000)
    rows, balances = payproc_driver.ledger_rows(), payproc_driver.app.balances()
    body, headers = payproc_driver.harness.webhook(EventType.CHARGE_SUCCEEDED, charge.processor_key,
                                                   amount=charge.amount, currency=charge.currency)
    tampered = body.replace(b'"status": "successful"', b'"status": "failed"').replace(b'"20.00"', b'"2000.00"')
    assert tampered != body and b'"failed"' in tampered and b'"2000.00"' in tampered
    payproc_driver.app.handle_webhook(tampered, headers)
    assert payproc_driver.app.get_charge(charge.id).state == ChargeState.DONE
    assert payproc_driver.ledger_rows() == rows
    assert payproc_driver.app.balances() == balances
    payproc_driver.assert_books_balance()
