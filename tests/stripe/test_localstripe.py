"""The card-update scenario and Stripe's webhook signatures against
localstripe, an independent stateful Stripe fake, run in memory.

localstripe refuses parameters it does not model (``statement_descriptor_suffix``,
``payment_method_data``, ``application_fee_amount``…) and has no
``Stripe-Account``, fees or Connect, so payments, fees and modes run against
our own fake (``fakestripe_server``); here: customers, SetupIntents confirmed
by the browser, attaching and detaching payment methods, listing customers,
and parsing webhooks localstripe signs itself.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from payproc.types import EventType, Party, ProcessorKeys
from stripe_world import make_backend

pytest.importorskip("localstripe")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def localstripe_url():
    port = _free_port()
    runner = Path(__file__).with_name("localstripe_runner.py")
    process = subprocess.Popen([sys.executable, str(runner), str(port)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(f"{url}/v1/customers", auth=("sk_test_x", ""), timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


def _settings(url, secret="whsec_localstripe"):
    return {"BACKEND": "stripe", "PRIV_KEY": "sk_test_localstripe", "PUB_KEY": "pk_test_localstripe",
            "API_BASE": url, "MAX_NETWORK_RETRIES": 0, "TIMEOUT": 10, "WEBHOOK_SECRET": secret}


def test_card_update_through_a_setup_intent(localstripe_url):
    backend = make_backend(_settings(localstripe_url))
    broker = Party("broker", is_broker=True)
    alice = Party("alice", "Alice", "alice@example.com")
    context = backend.call("get_payment_context", return_url=None, subscriber=alice, amount=None, currency=None, provider=broker,
                           broker=broker, broker_fee_amount=0, idempotency_key="ls-1")
    secret = context.values["STRIPE_INTENT_SECRET"]
    confirmed = requests.post(f"{localstripe_url}/v1/setup_intents/{context.reference}/confirm", timeout=5,
                              data={"key": context.values["STRIPE_PUB_KEY"], "client_secret": secret,
                                    "payment_method": "pm_card_visa"})
    assert confirmed.status_code == 200, confirmed.text
    update = backend.call("create_or_update_card", subscriber=alice, token=context.reference, provider=broker,
                          broker=broker)
    assert update.card_key.startswith("cus_") and update.card.last4 == "4242"
    alice = Party("alice", "Alice", keys=ProcessorKeys(card_key=update.card_key))
    assert backend.call("retrieve_card", subscriber=alice, broker=broker).last4 == "4242"
    found = backend.call("list_customers", pattern="^alice$", broker=broker)
    assert [c.processor_key for c in found] == [update.card_key]
    backend.call("delete_card", subscriber=alice, broker=broker)
    assert backend.call("retrieve_card", subscriber=alice, broker=broker) is None


def test_webhooks_signed_by_localstripe_verify(localstripe_url):
    received: list[tuple[bytes, dict[str, str]]] = []

    def app(environ, start_response):
        request = Request(environ)
        received.append((request.get_data(), {k.lower(): v for k, v in request.headers.items()}))
        return Response("ok")(environ, start_response)

    receiver = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        requests.post(f"{localstripe_url}/_config/webhooks/payproc", timeout=5, data={
            "url": f"http://127.0.0.1:{receiver.server_port}/hook", "secret": "whsec_localstripe",
            "events[]": ["customer.created"]}).raise_for_status()
        backend = make_backend(_settings(localstripe_url))
        backend.call("get_payment_context", return_url=None, subscriber=Party("bob"), amount=None, currency=None,
                     provider=Party("b", is_broker=True), broker=Party("b", is_broker=True),
                     broker_fee_amount=0, idempotency_key=None)
        for _ in range(50):
            if received:
                break
            time.sleep(0.1)
        body, headers = received[0]
        event = backend.call("parse_webhook", body=body, headers=headers)
        assert event.type == EventType.IGNORED and event.processor_type == "customer.created"
        assert event.event_id.startswith("evt_")
        wrong = make_backend(_settings(localstripe_url, secret="whsec_other"))
        from payproc.errors import WebhookVerificationError

        with pytest.raises(WebhookVerificationError):
            wrong.call("parse_webhook", body=body, headers=headers)
    finally:
        receiver.shutdown()
