"""Every backend the reliability tests know: how to configure it without a
processor (the API base is a closed loopback port) and how its processor
signs a webhook. Backends that are not installed are skipped."""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from relsupport import PRIV_KEY

#: Nothing listens there: a call that reaches for the API is refused at once.
CLOSED = "http://127.0.0.1:9"


@dataclass(frozen=True)
class BackendCase:
    name: str
    package: str
    settings: dict[str, Any]
    #: (event id, charge key, secret, unix time) -> (body, headers)
    signed: Callable[[str, str, str, int], tuple[bytes, dict[str, str]]]
    header: str
    #: Signature header values that are not signatures at all.
    malformed: tuple[str, ...]
    signs_body: bool = True
    signs_time: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def require(self) -> None:
        if importlib.util.find_spec(self.package) is None:
            pytest.skip(f"{self.package} is not installed")


def _json(document: object) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def _fake(event_id: str, charge: str, secret: str, at: int) -> tuple[bytes, dict[str, str]]:
    from payproc_fake.webhooks import SIGNATURE_HEADER, sign

    body = _json({"id": event_id, "type": "dispute.created", "created": at,
                  "data": {"charge": charge, "amount": 2000, "currency": "usd"}})
    return body, {SIGNATURE_HEADER: sign(body, secret, at)}


def _stripe(event_id: str, charge: str, secret: str, at: int) -> tuple[bytes, dict[str, str]]:
    body = _json({"id": event_id, "object": "event", "type": "charge.dispute.created", "created": at,
                  "livemode": False, "data": {"object": {"id": "dp_rel", "object": "dispute", "charge": charge,
                                                         "amount": 2000, "currency": "usd", "status": "needs_response"}}})
    digest = hmac.new(secret.encode(), b"%d." % at + body, hashlib.sha256).hexdigest()
    return body, {"stripe-signature": f"t={at},v1={digest}"}


def _razorpay(event_id: str, charge: str, secret: str, at: int) -> tuple[bytes, dict[str, str]]:
    body = _json({"entity": "event", "event": "payment.dispute.created", "created_at": at,
                  "payload": {"dispute": {"entity": {"id": "disp_rel", "payment_id": charge,
                                                     "amount": 200000, "currency": "INR"}}}})
    return body, {"x-razorpay-signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
                  "x-razorpay-event-id": event_id}


def _paystack(event_id: str, charge: str, secret: str, at: int) -> tuple[bytes, dict[str, str]]:
    body = _json({"event": "charge.dispute.create",
                  "data": {"id": event_id, "transaction": {"id": charge}, "amount": 200000, "currency": "NGN"}})
    return body, {"x-paystack-signature": hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()}


def _flutterwave(event_id: str, charge: str, secret: str, at: int) -> tuple[bytes, dict[str, str]]:
    body = _json({"event": "charge.completed", "data": {"id": event_id, "tx_ref": charge, "status": "successful"}})
    return body, {"verif-hash": secret}


CASES = [
    BackendCase("fake", "payproc_fake", {"PRIV_KEY": PRIV_KEY}, _fake, "payproc-fake-signature",
                ("garbage", "t=abc,v1=00", "t=1", "v1=00", "t=,v1=", "t=99999999999999999999999,v1=0"),
                signs_time=True),
    BackendCase("stripe", "payproc_stripe", {"PRIV_KEY": PRIV_KEY, "PUB_KEY": "pk_test_rel", "API_BASE": CLOSED,
                                             "MAX_NETWORK_RETRIES": 0, "TIMEOUT": 2},
                _stripe, "stripe-signature",
                ("garbage", "t=abc,v1=00", "t=1", "v1=00", "t=,v1=", "t=1e9,v1=zz", "t=99999999999999999999999,v1=0"),
                signs_time=True),
    BackendCase("razorpay", "payproc_razorpay", {"PRIV_KEY": PRIV_KEY, "PUB_KEY": "rzp_test_rel", "API_BASE": CLOSED,
                                                 "TIMEOUT": 2},
                _razorpay, "x-razorpay-signature", ("garbage", "zz" * 32, " ", "é" * 64)),
    BackendCase("paystack", "payproc_paystack", {"PRIV_KEY": PRIV_KEY, "PUB_KEY": "pk_test_rel", "API_BASE": CLOSED,
                                                 "TIMEOUT": 2},
                _paystack, "x-paystack-signature", ("garbage", "zz" * 64, " ", "é" * 128)),
    BackendCase("flutterwave", "payproc_flutterwave", {"PRIV_KEY": "FLWSECK_TEST-" + PRIV_KEY,
                                                       "PUB_KEY": "FLWPUBK_TEST-rel", "API_BASE": CLOSED,
                                                       "TIMEOUT": 2},
                _flutterwave, "verif-hash", ("garbage", " ", "é"), signs_body=False),
]


def now() -> int:
    return int(time.time())
