"""Signed callbacks: build_event, parse_webhook and the processor's own
events (disputes, refunds made on its dashboard)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from payproc.errors import ConfigurationError, WebhookVerificationError
from payproc.types import ChargeStatus, EventType
from payproc_fake import webhooks
from payproc_fake.webhooks import SIGNATURE_HEADER, TOLERANCE, build_event, sign


def test_a_signed_event_parses_back(backend, webhook_secret):
    body, headers = build_event(
        EventType.CHARGE_REFUNDED, "ch_fake_1", secret=webhook_secret, amount=500, currency="USD",
        event_id="evt_fake_42", refund="re_fake_9",
    )
    event = backend.call("parse_webhook", body=body, headers=headers)
    assert event.event_id == "evt_fake_42"
    assert event.type is EventType.CHARGE_REFUNDED
    assert event.charge_processor_key == "ch_fake_1"
    assert (event.amount, event.currency, event.refund_processor_key) == (500, "usd", "re_fake_9")
    assert event.processor_type == "charge.refunded"
    assert event.livemode is False
    assert abs(event.created_at.timestamp() - time.time()) < 5


@pytest.mark.parametrize("event_type", [t for t in EventType if t is not EventType.IGNORED])
def test_every_event_type_round_trips(backend, event_type, webhook_secret):
    body, headers = build_event(event_type, "ch_fake_1", secret=webhook_secret)
    event = backend.call("parse_webhook", body=body, headers=headers)
    assert event.type is event_type
    assert event.event_id.startswith("evt_fake_")
    assert event.amount is None


def test_the_body_and_header_have_the_documented_shape(webhook_secret):
    body, headers = build_event(EventType.DISPUTE_CREATED, "ch_fake_1", secret=webhook_secret, amount=7, currency="usd",
                                timestamp=1_700_000_000)
    event = json.loads(body)
    assert event["type"] == "dispute.created" and event["created"] == 1_700_000_000
    assert event["data"] == {"charge": "ch_fake_1", "amount": 7, "currency": "usd", "refund": None}
    expected = hmac.new(webhook_secret.encode(), b"1700000000." + body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == f"t=1700000000,v1={expected}"


def test_unknown_event_types_are_ignored(backend, webhook_secret):
    body = json.dumps({"id": "evt_fake_1", "type": "customer.created", "created": int(time.time()), "data": {}}).encode()
    headers = {SIGNATURE_HEADER: sign(body, webhook_secret, int(time.time()))}
    event = backend.call("parse_webhook", body=body, headers=headers)
    assert event.type is EventType.IGNORED
    assert event.processor_type == "customer.created"


def test_header_names_are_matched_whatever_their_case(backend, webhook_secret):
    body, headers = build_event(EventType.CHARGE_SUCCEEDED, "ch_fake_1", secret=webhook_secret)
    upper = {"Payproc-Fake-Signature": headers[SIGNATURE_HEADER]}
    assert backend.call("parse_webhook", body=body, headers=upper).type is EventType.CHARGE_SUCCEEDED


def test_several_v1_signatures_one_of_them_good(backend, webhook_secret):
    body, headers = build_event(EventType.CHARGE_SUCCEEDED, "ch_fake_1", secret=webhook_secret)
    stamp, good = headers[SIGNATURE_HEADER].split(",")
    rolled = {SIGNATURE_HEADER: f"{stamp},v1={'0' * 64},{good}"}
    assert backend.call("parse_webhook", body=body, headers=rolled).charge_processor_key == "ch_fake_1"


def refused(backend, body: bytes, headers: dict[str, str], match: str) -> None:
    with pytest.raises(WebhookVerificationError, match=match):
        backend.call("parse_webhook", body=body, headers=headers)


def test_a_tampered_body_is_refused(backend, webhook_secret):
    body, headers = build_event(EventType.CHARGE_REFUNDED, "ch_fake_1", secret=webhook_secret, amount=500)
    refused(backend, body.replace(b"500", b"900"), headers, "does not match")


def test_the_wrong_secret_is_refused(backend):
    body, headers = build_event(EventType.CHARGE_SUCCEEDED, "ch_fake_1", secret="whsec_forged")
    refused(backend, body, headers, "does not match")


@pytest.mark.parametrize("offset", [-(TOLERANCE + 5), TOLERANCE + 5, -86400, 86400])
def test_stale_and_future_timestamps_are_refused(backend, offset, webhook_secret):
    body, headers = build_event(EventType.CHARGE_SUCCEEDED, "ch_fake_1", secret=webhook_secret,
                                timestamp=int(time.time()) + offset)
    refused(backend, body, headers, "away from now")


@pytest.mark.parametrize("offset", [-(TOLERANCE - 10), TOLERANCE - 10])
def test_timestamps_within_the_tolerance_pass(backend, offset, webhook_secret):
    body, headers = build_event(EventType.CHARGE_SUCCEEDED, "ch_fake_1", secret=webhook_secret,
                                timestamp=int(time.time()) + offset)
    assert backend.call("parse_webhook", body=body, headers=headers).type is EventType.CHARGE_SUCCEEDED


def test_a_missing_header_is_refused(backend, webhook_secret):
    body, _ = build_event(EventType.CHARGE_SUCCEEDED, "ch_fake_1", secret=webhook_secret)
    refused(backend, body, {}, "missing")
    refused(backend, body, {"stripe-signature": "t=1,v1=00"}, "missing")


@pytest.mark.parametrize(
    "header",
    ["garbage", "t=,v1=00", "t=abc,v1=00", "v1=00", "t=1700000000", "t=1700000000,v2=00", ",", "t=-5,v1=00"],
)
def test_malformed_headers_are_refused(backend, header, webhook_secret):
    body, _ = build_event(EventType.CHARGE_SUCCEEDED, "ch_fake_1", secret=webhook_secret)
    refused(backend, body, {SIGNATURE_HEADER: header}, "malformed")


def test_a_non_ascii_signature_is_refused_not_crashed(backend, webhook_secret):
    body, headers = build_event(EventType.CHARGE_SUCCEEDED, "ch_fake_1", secret=webhook_secret)
    stamp = headers[SIGNATURE_HEADER].split(",")[0]
    refused(backend, body, {SIGNATURE_HEADER: f"{stamp},v1=é{'0' * 63}"}, "does not match")


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"\xff\xfe",
        b"[]",
        b"{}",
        json.dumps({"id": "evt_1", "type": "charge.succeeded", "created": "yesterday", "data": {}}).encode(),
        json.dumps({"id": "evt_1", "type": "charge.succeeded", "created": 1, "data": []}).encode(),
        json.dumps({"id": 5, "type": "charge.succeeded", "created": 1, "data": {}}).encode(),
        json.dumps({"id": "evt_1", "type": "charge.succeeded", "created": 1, "data": {"amount": "5"}}).encode(),
        json.dumps({"id": "evt_1", "type": "charge.succeeded", "created": 1, "data": {"amount": True}}).encode(),
        json.dumps({"id": "evt_1", "type": "charge.succeeded", "created": 10**30, "data": {}}).encode(),
    ],
)
def test_a_correctly_signed_body_that_is_not_an_event_is_refused(backend, payload, webhook_secret):
    headers = {SIGNATURE_HEADER: sign(payload, webhook_secret, int(time.time()))}
    with pytest.raises(WebhookVerificationError):
        backend.call("parse_webhook", body=payload, headers=headers)


def test_without_a_secret_every_callback_is_refused(make_backend, webhook_secret):
    backend = make_backend(WEBHOOK_SECRET=None)
    body, headers = build_event(EventType.CHARGE_SUCCEEDED, "ch_fake_1", secret=webhook_secret)
    refused(backend, body, headers, "no WEBHOOK_SECRET")
    with pytest.raises(ConfigurationError, match="PROCESSOR.WEBHOOK_SECRET is set but empty"):
        make_backend(WEBHOOK_SECRET="")  # refused by the core when the settings are loaded
    body, headers = build_event(EventType.CHARGE_SUCCEEDED, "ch_fake_1", secret="")
    with pytest.raises(WebhookVerificationError, match="no WEBHOOK_SECRET"):
        webhooks.verify(body, headers, "")  # and by the backend itself, should one reach it


def test_the_processor_opens_and_closes_disputes(backend, account, request_for, ref_for):
    request = request_for(amount=2000)
    result = backend.call("create_payment", request=request, reference=None)
    body, headers = account.open_dispute(result.processor_key)
    event = backend.call("parse_webhook", body=body, headers=headers)
    assert (event.type, event.charge_processor_key, event.amount, event.currency) == (
        EventType.DISPUTE_CREATED, result.processor_key, 2000, "usd",
    )
    assert backend.call("retrieve_charge", charge=ref_for(request, result)).disputed is True
    body, headers = account.close_dispute(result.processor_key, won=True)
    assert backend.call("parse_webhook", body=body, headers=headers).type is EventType.DISPUTE_WON
    assert backend.call("retrieve_charge", charge=ref_for(request, result)).disputed is False
    account.open_dispute(result.processor_key, amount=1500)
    body, headers = account.close_dispute(result.processor_key, won=False)
    lost = backend.call("parse_webhook", body=body, headers=headers)
    assert (lost.type, lost.amount) == (EventType.DISPUTE_LOST, 1500)
    assert account.list_charges()[0]["disputed"] is True


def test_a_dashboard_refund_sends_a_charge_refunded_event(backend, account, request_for, ref_for):
    request = request_for(amount=2000)
    result = backend.call("create_payment", request=request, reference=None)
    body, headers = account.refund_from_dashboard(result.processor_key, 600)
    event = backend.call("parse_webhook", body=body, headers=headers)
    assert event.type is EventType.CHARGE_REFUNDED
    assert event.amount == 600 and event.refund_processor_key.startswith("re_fake_")
    info = backend.call("retrieve_charge", charge=ref_for(request, result))
    assert (info.status, info.amount_refunded) == (ChargeStatus.SUCCEEDED, 600)


def test_processor_events_need_a_secret(make_backend, request_for, webhook_secret):
    from payproc_fake.processor import get_account

    backend = make_backend(WEBHOOK_SECRET=None, ACCOUNT="acct_test_nosecret")
    try:
        result = backend.call("create_payment", request=request_for(), reference=None)
        account = get_account("acct_test_nosecret")
        with pytest.raises(ValueError, match="no webhook secret"):
            account.open_dispute(result.processor_key)
        body, _ = account.open_dispute(result.processor_key, secret=webhook_secret)
        assert json.loads(body)["type"] == "dispute.created"
    finally:
        from payproc_fake.processor import reset

        reset("acct_test_nosecret")
