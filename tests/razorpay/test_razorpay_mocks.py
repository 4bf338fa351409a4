"""Every answer the plugin relies on, from the fake, has the shape of the
Razorpay SDK's own test fixture for it (``shared/data/razorpay-sdk-mocks``):
the fixture's keys are all there and their values have the fixture's types.

Some fixtures are not JSON (a trailing comma, bare keys, a card written as a
list of ``key: value``); :func:`load` mends exactly those three things and
the test says which files needed it. Where a fixture's type contradicts
Razorpay's API reference the reference wins, and :data:`MOCK_ERRORS` names
each such field with the reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from payproc.types import ProcessorKeys
from razorpay_helpers import BROKER, PROVIDER, card_context, charge_ref, request_for

MOCKS = Path("/work/shared/data/razorpay-sdk-mocks")
pytestmark = pytest.mark.skipif(not MOCKS.is_dir(), reason="the SDK's sample responses are not on this machine")

#: (fixture, dotted path) -> why the fixture is not followed there.
MOCK_ERRORS: Mapping[tuple[str, str], str] = {
    ("fake_customer.json", "contact"): "an integer in the fixture; a string in Razorpay's Customers API reference",
    ("token_collection.json", "items.card.last4"): "an integer in the fixture; a string (\"1111\") in the "
    "Tokens API reference",
    ("token_collection.json", "items.card.expiry_month"): "a string in the fixture; an integer in the Tokens "
    "API reference",
    ("token_collection.json", "items.card.expiry_year"): "a string in the fixture; an integer in the Tokens "
    "API reference",
    ("fake_captured_payment.json", "udf"): "a field of Razorpay's old API, not in today's payment entity",
    ("fake_payment.json", "udf"): "a field of Razorpay's old API, not in today's payment entity",
    ("payment_collection.json", "items.udf"): "a field of Razorpay's old API, not in today's payment entity",
    ("fake_transfer.json", "service_tax"): "Razorpay renamed service_tax to tax",
    ("transfers_collection.json", "items.service_tax"): "Razorpay renamed service_tax to tax",
    ("fake_payment_authorized_webhook.json", "payload.payment.entity.service_tax"): "renamed tax",
}


def load(name: str) -> Any:
    """A fixture, mending the three ways some of them are not JSON."""
    text = (MOCKS / name).read_text()
    try:
        return json.loads(text)
    except ValueError:
        pass
    text = re.sub(r"(?m)^(\s*)([A-Za-z_]\w*)\s*:", r'\1"\2":', text)  # bare keys
    text = re.sub(r",(\s*[}\]])", r"\1", text)  # trailing commas
    text = re.sub(r'"card"\s*:\s*\[([^\[\]]*)\]', r'"card": {\1}', text)  # a card written as a list
    return json.loads(text)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping) or (isinstance(value, list) and not value):
        return "object"  # Razorpay writes empty notes as []
    return "list"


def differences(mock: Any, ours: Any, name: str, path: str = "") -> list[str]:
    """How ``ours`` departs from ``mock``: missing keys, other types."""
    if (name, path) in MOCK_ERRORS:
        return []
    if isinstance(mock, Mapping):
        if not isinstance(ours, Mapping):
            return [f"{path or '.'}: an object in the fixture, {_kind(ours)} here"]
        found = []
        for key, value in mock.items():
            key = key.strip()  # customer_collection.json writes "created_at "
            sub = f"{path}.{key}" if path else key
            if key not in ours:
                if (name, sub) not in MOCK_ERRORS:
                    found.append(f"{sub}: missing")
                continue
            if key == "notes":  # the merchant's own keys: only the type is Razorpay's
                found += [] if _kind(value) == _kind(ours[key]) else [f"{sub}: {_kind(ours[key])} here"]
                continue
            found += differences(value, ours[key], name, sub)
        return found
    if isinstance(mock, list) and mock and isinstance(mock[0], Mapping):
        if not isinstance(ours, list) or not ours:
            return [f"{path}: a list of objects in the fixture, {ours!r:.40} here"]
        return differences(mock[0], ours[0], name, path)
    if None in (mock, ours) or _kind(mock) == _kind(ours):
        return []
    return [f"{path}: {_kind(mock)} in the fixture, {_kind(ours)} here ({ours!r:.30})"]


@pytest.fixture
def world(backend, backdoor, checkout, subscriber, key, fake) -> dict[str, Any]:
    """One of everything the plugin reads, made through the backend."""
    import dataclasses

    result, context = checkout(subscriber, 500000, "inr", key)
    refund = backend.call("refund_charge", charge=charge_ref(subscriber, 500000, "inr", key, result.processor_key),
                          amount=1000, broker_amount=0, idempotency_key="rf")
    transfer = backend.call("create_transfer", provider=PROVIDER, amount=1000, currency="inr", descr=None,
                            idempotency_key="tr-mock")
    token = backdoor.card_payment(card_context(backend, subscriber), card={"last4": "1111"})
    update = backend.call("create_or_update_card", subscriber=subscriber, token=token, provider=PROVIDER,
                          broker=BROKER)
    with_card = dataclasses.replace(subscriber, keys=ProcessorKeys(card_key=update.card_key))
    renewal = backend.call("create_charge", request=request_for(with_card, 10000, "inr", key + "-renewal"))
    dispute = backdoor.backdoor("disputes", {"payment_id": result.processor_key, "amount": 5000})
    api, auth = backdoor.session, (backdoor.key_id, backdoor.key_secret)

    def get(path: str) -> Any:
        answer = api.get(backdoor.api_base + path, auth=auth, timeout=10)
        return answer.json()

    recurring_answer = [json.loads(body) for method, path, body in fake.recorded_bodies
                        if path == "/v1/payments/create/recurring"]
    return {
        "get": get, "order": context.reference, "payment": result.processor_key, "refund": refund.processor_key,
        "transfer": transfer.processor_key, "customer": update.card_key, "renewal": renewal.processor_key,
        "dispute": dispute, "recurring_request": recurring_answer[-1], "fake": fake,
    }


def _webhook(world: dict[str, Any], event: str) -> Any:
    body = next(d.body for d in world["fake"].state.deliveries if d.event == event)
    return json.loads(body)


#: fixture -> how to read the fake's answer for it.
ANSWERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "fake_order.json": lambda w: w["get"](f"/v1/orders/{w['order']}"),
    "order_collection.json": lambda w: w["get"]("/v1/orders?count=2"),
    "fake_payment.json": lambda w: w["get"](f"/v1/payments/{w['renewal']}"),
    "fake_captured_payment.json": lambda w: w["get"](f"/v1/payments/{w['payment']}"),
    "payment_collection.json": lambda w: w["get"](f"/v1/orders/{w['order']}/payments"),
    "fake_refund.json": lambda w: w["get"](f"/v1/refunds/{w['refund']}"),
    "refund_collection.json": lambda w: w["get"](f"/v1/payments/{w['payment']}/refunds"),
    "fake_customer.json": lambda w: w["get"](f"/v1/customers/{w['customer']}"),
    "customer_collection.json": lambda w: w["get"]("/v1/customers"),
    "token_collection.json": lambda w: w["get"](f"/v1/customers/{w['customer']}/tokens"),
    "fake_transfer.json": lambda w: w["get"](f"/v1/transfers/{w['transfer']}"),
    "transfers_collection.json": lambda w: w["get"]("/v1/transfers"),
    "dispute.json": lambda w: w["dispute"],
    "dispute_collection.json": lambda w: {"entity": "collection", "count": 1, "items": [w["dispute"]]},
    "fake_create_recurring.json": lambda w: w["fake"].recorded_answers["/v1/payments/create/recurring"],
    "init_create_recurring.json": lambda w: w["recurring_request"],
    "fake_payment_authorized_webhook.json": lambda w: _webhook(w, "payment.authorized"),
    "bad_request_error.json": lambda w: w["get"]("/v1/payments/pay_DoesNotExist001"),
}


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_the_fake_answers_in_the_shape_of_the_sdk_fixture(world, name):
    assert differences(load(name), ANSWERS[name](world), name) == []


def test_the_plugins_recurring_request_has_exactly_the_documented_fields(world):
    assert set(world["recurring_request"]) == set(load("init_create_recurring.json"))


def test_malformed_fixtures_are_the_known_ones():
    broken = []
    for path in sorted(MOCKS.glob("*.json")):
        try:
            json.loads(path.read_text())
        except ValueError:
            broken.append(path.name)
    used = {"fake_customer.json", "token_collection.json"}
    assert used <= set(broken), "a fixture the test mends is valid JSON now: drop the mending"
    for name in used:
        load(name)  # mended
