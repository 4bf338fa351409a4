"""The Django example (examples/django_view.py) run with Django's test client."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest
from payproc.types import EventType
from payproc_fake import processor
from payproc_fake.webhooks import build_event

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "django_view.py"
MODULE = "payproc_django_example"

try:
    import django
except ImportError:  # pragma: no cover
    if os.environ.get("CI"):
        raise
    pytest.skip("Django is not installed (pip install django)", allow_module_level=True)

CUSTOMER = "alice"  # the profile conftest.py creates


@pytest.fixture(scope="module")
def example():  # type: ignore[no-untyped-def]
    from django.conf import settings

    if MODULE not in sys.modules:
        spec = importlib.util.spec_from_file_location(MODULE, EXAMPLE)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[MODULE] = module
        spec.loader.exec_module(module)
    if not settings.configured:
        settings.configure(SECRET_KEY="payproc-example-tests", ROOT_URLCONF=MODULE, ALLOWED_HOSTS=["testserver"],
                           INSTALLED_APPS=[], MIDDLEWARE=[], USE_TZ=True)
        django.setup()
    return sys.modules[MODULE]


@pytest.fixture
def django_client(example, payproc_app):  # type: ignore[no-untyped-def]
    from django.test import Client

    example.configure(payproc_app)
    yield Client()
    example.configure(None)


def test_checkout_view_pays_with_the_token(django_client, payproc_app):
    answer = django_client.post("/checkout/", {"customer": CUSTOMER, "amount": "20.00", "currency": "usd",
                                               "stripeToken": "tok_visa"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["state"] == "done" and answer.json()["amount"] == 2000
    assert [c.state for c in payproc_app.list_charges()] == ["done"]


def test_checkout_view_names_the_token_field(django_client):
    answer = django_client.post("/checkout/", {"customer": CUSTOMER, "amount": "20.00", "token": "tok_visa"})
    assert answer.status_code == 400
    assert answer.json()["token_field"] == "stripeToken"
    assert "'stripeToken'" in answer.json()["message"]


def test_checkout_view_never_charges_the_posted_customers_card_on_file(django_client, payproc_app):
    """The example takes the payer from a posted field: a post without a
    token must not charge the card on file of whoever it names."""
    payproc_app.update_card(CUSTOMER, "tok_visa")
    account = processor.get_account(payproc_app.backend.settings.ACCOUNT)
    before = len(account.list_charges())
    answer = django_client.post("/checkout/", {"customer": CUSTOMER, "amount": "20.00", "currency": "usd"})
    assert answer.status_code == 400 and answer.json()["error"] == "no_token"
    assert "'stripeToken'" in answer.json()["message"]
    assert len(account.list_charges()) == before and payproc_app.list_charges() == []
    assert payproc_app.party(CUSTOMER).keys.card_key is not None


def test_checkout_view_maps_a_decline_to_402(django_client):
    answer = django_client.post("/checkout/", {"customer": CUSTOMER, "amount": "5.00", "stripeToken": "tok_decline"})
    assert answer.status_code == 402
    assert answer.json()["message"] == "Your card was declined."


def test_webhook_view_stores_signed_events_and_refuses_bad_ones(django_client, payproc_app, webhook_secret):
    paid = django_client.post("/checkout/", {"customer": CUSTOMER, "amount": "20.00", "stripeToken": "tok_visa"})
    charge = payproc_app.get_charge(paid.json()["id"])
    body, headers = processor.get_account(payproc_app.backend.settings.ACCOUNT).refund_from_dashboard(
        charge.processor_key, 500)
    extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()
             if name != "content-type"}
    answer = django_client.post("/webhooks/fake/", body, content_type="application/json", **extra)
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "applied"
    assert payproc_app.get_charge(charge.id).amount_refunded == 500

    forged, _ = build_event(EventType.CHARGE_REFUNDED, charge.processor_key, secret="whsec_wrong", amount=100,
                            currency="usd")
    _, good_headers = build_event(EventType.CHARGE_REFUNDED, charge.processor_key, secret=webhook_secret)
    bad = django_client.post("/webhooks/fake/", forged, content_type="application/json",
                             HTTP_PAYPROC_FAKE_SIGNATURE=good_headers["payproc-fake-signature"])
    assert bad.status_code == 400
