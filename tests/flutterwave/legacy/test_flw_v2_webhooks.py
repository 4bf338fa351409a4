"""Webhooks: the verif-hash header, then the API's word on the charge."""

from __future__ import annotations

import json

import pytest
from payproc.db.models import ChargeState
from payproc.errors import WebhookVerificationError
from payproc.types import EventType
from payproc_flutterwave_legacy_tests_fakeserver import VERIFY
from payproc_flutterwave_tests_helpers import context, new_key, pay


def test_successful_charge_webhook(backend, payproc_harness):
    result, _, _ = pay(backend, payproc_harness, 250000, "ngn")
    body, headers = payproc_harness.webhook(EventType.CHARGE_SUCCEEDED, result.processor_key)
    event = backend.call("parse_webhook", body=body, headers=headers)
    assert event.type is EventType.CHARGE_SUCCEEDED
    assert event.charge_processor_key == result.processor_key
    assert (event.amount, event.currency) == (250000, "ngn")
    assert event.event_id and event.processor_type == "CARD_TRANSACTION"


def test_redelivery_has_the_same_event_id(backend, payproc_harness):
    result, _, _ = pay(backend, payproc_harness, 1000, "ngn")
    body, headers = payproc_harness.webhook(EventType.CHARGE_SUCCEEDED, result.processor_key)
    first = backend.call("parse_webhook", body=body, headers=headers)
    second = backend.call("parse_webhook", body=body, headers=headers)
    assert first.event_id == second.event_id


def test_event_reflects_the_api_not_the_body(backend, payproc_harness, fake):
    """Someone who knows the hash claims success for a declined payment, and
    a bigger amount: the event says what Flutterwave's API says."""
    key = new_key()
    ctx = context(backend, 1000, "ngn", key)
    payproc_harness.pay(ctx, 1000, "ngn", outcome="decline")
    declined = fake.transactions[ctx.reference]
    body, headers = payproc_harness.webhook(EventType.CHARGE_SUCCEEDED, declined.flwref, amount=99900, currency="ngn")
    assert json.loads(body)["status"] == "successful" and json.loads(body)["amount"] == "999.00"
    calls = fake.count(VERIFY)
    event = backend.call("parse_webhook", body=body, headers=headers)
    assert fake.count(VERIFY) == calls + 1  # re-verified with the API
    assert event.type is EventType.CHARGE_FAILED
    assert (event.amount, event.charge_processor_key) == (1000, declined.flwref)


def test_webhook_for_a_transaction_the_api_does_not_know_is_refused(backend, payproc_harness, fake):
    body = json.dumps({"id": 1, "txRef": "payproc-invented", "flwRef": "FLW-X", "status": "successful",
                       "amount": 10, "currency": "NGN", "event.type": "CARD_TRANSACTION"}).encode()
    headers = {"verif-hash": payproc_harness.processor_settings()["WEBHOOK_SECRET"]}
    with pytest.raises(WebhookVerificationError, match="knows no transaction"):
        backend.call("parse_webhook", body=body, headers=headers)


def test_v3_shaped_body_is_read_too(backend, payproc_harness, fake):
    result, _, ctx = pay(backend, payproc_harness, 1000, "ngn")
    body = json.dumps({"event": "charge.completed", "data": {"id": 5, "tx_ref": ctx.reference,
                                                              "flw_ref": result.processor_key, "status": "successful"}}).encode()
    headers = {"verif-hash": payproc_harness.processor_settings()["WEBHOOK_SECRET"]}
    event = backend.call("parse_webhook", body=body, headers=headers)
    assert event.type is EventType.CHARGE_SUCCEEDED and event.processor_type == "charge.completed"


def test_transfer_webhook_is_ignored_without_calling_the_api(backend, payproc_harness, fake):
    body = json.dumps({"event.type": "Transfer", "transfer": {"id": 9, "status": "SUCCESSFUL"}}).encode()
    headers = {"verif-hash": payproc_harness.processor_settings()["WEBHOOK_SECRET"]}
    event = backend.call("parse_webhook", body=body, headers=headers)
    assert event.type is EventType.IGNORED and fake.count(VERIFY) == 0


@pytest.mark.parametrize("headers", [{}, {"verif-hash": ""}, {"verif-hash": "wrong"},
                                     {"verif-hash": "a-secret-hash-only-we-and-flutterwave-knoW"},
                                     {"Verif-Hash-Other": "a-secret-hash-only-we-and-flutterwave-know"}])
def test_missing_or_wrong_hash_is_refused_before_any_api_call(backend, payproc_harness, fake, headers):
    result, _, _ = pay(backend, payproc_harness, 1000, "ngn")
    body, _good = payproc_harness.webhook(EventType.CHARGE_SUCCEEDED, result.processor_key)
    calls = fake.count(VERIFY)
    with pytest.raises(WebhookVerificationError):
        backend.call("parse_webhook", body=body, headers=headers)
    assert fake.count(VERIFY) == calls


def test_forged_secret_is_refused(backend, payproc_harness):
    result, _, _ = pay(backend, payproc_harness, 1000, "ngn")
    body, headers = payproc_harness.webhook(EventType.CHARGE_SUCCEEDED, result.processor_key, secret="guess")
    with pytest.raises(WebhookVerificationError, match="does not match"):
        backend.call("parse_webhook", body=body, headers=headers)


def test_no_configured_secret_fails_closed(backend_with, payproc_harness):
    backend = backend_with(WEBHOOK_SECRET=None)
    body, headers = b'{"txRef": "x"}', {"verif-hash": ""}
    with pytest.raises(WebhookVerificationError, match="no WEBHOOK_SECRET"):
        backend.call("parse_webhook", body=body, headers=headers)


def test_malformed_body_is_refused(backend, payproc_harness):
    headers = {"verif-hash": payproc_harness.processor_settings()["WEBHOOK_SECRET"]}
    for body in (b"not json", b"[1, 2]"):
        with pytest.raises(WebhookVerificationError):
            backend.call("parse_webhook", body=body, headers=headers)


def test_hash_is_compared_with_compare_digest(backend, payproc_harness, monkeypatch):
    import hmac

    seen = []
    real = hmac.compare_digest

    def spy(a, b):
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    result, _, _ = pay(backend, payproc_harness, 1000, "ngn")
    body, headers = payproc_harness.webhook(EventType.CHARGE_SUCCEEDED, result.processor_key)
    backend.call("parse_webhook", body=body, headers=headers)
    assert seen == [(headers["verif-hash"].encode(), headers["verif-hash"].encode())]


def test_changed_body_under_the_right_hash_changes_nothing_in_the_books(payproc_driver):
    """What Flutterwave offers instead of a body signature (the suite's
    tampered-body test skips: ``signed_body``): a body rewritten under a
    genuine verif-hash is re-verified with the API, so the core applies what
    the API says and the books do not move."""
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
