"""Payouts, the provider's bank and connected-account (OAuth) hooks."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from payproc.errors import ProcessorError, ProcessorSetupError
from payproc.types import Party, ProcessorKeys

T0 = datetime(2030, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def clock(account):
    """Step the processor's clock by one minute per reading, from T0."""
    ticks = iter(range(10_000))
    account.clock = lambda: T0 + timedelta(minutes=next(ticks))
    return account


def test_create_transfer_makes_a_payout(backend, account, provider):
    record = backend.call(
        "create_transfer", provider=provider, amount=1200, currency="usd", descr="March", idempotency_key="t1"
    )
    assert record.processor_key.startswith("po_fake_")
    assert (record.amount, record.currency, record.description, record.status) == (1200, "usd", "March", "paid")
    again = backend.call(
        "create_transfer", provider=provider, amount=1200, currency="usd", descr="March", idempotency_key="t1"
    )
    assert again == record
    with pytest.raises(ProcessorError):
        backend.call("create_transfer", provider=provider, amount=0, currency="usd", descr=None, idempotency_key="t2")


def test_reconcile_transfers_lists_payouts_since_oldest_first(backend, clock, provider):
    made = [
        backend.call(
            "create_transfer", provider=provider, amount=100 * (i + 1), currency="usd", descr=f"#{i}",
            idempotency_key=f"t{i}",
        )
        for i in range(3)
    ]
    other = Party("other", keys=ProcessorKeys(deposit_key="acct_fake_other"))
    backend.call("create_transfer", provider=other, amount=999, currency="usd", descr=None, idempotency_key="o1")
    everything = backend.call("reconcile_transfers", provider=provider, since=T0, limit_to_one_request=False)
    assert [t.processor_key for t in everything] == [t.processor_key for t in made]
    later = backend.call(
        "reconcile_transfers", provider=provider, since=made[1].created_at, limit_to_one_request=True
    )
    assert [t.amount for t in later] == [200, 300]
    naive = backend.call(
        "reconcile_transfers", provider=provider, since=made[2].created_at.replace(tzinfo=None),
        limit_to_one_request=False,
    )
    assert [t.amount for t in naive] == [300]


def test_a_provider_without_deposit_key_is_paid_by_slug(backend, provider):
    bare = Party("bare")
    backend.call("create_transfer", provider=bare, amount=50, currency="usd", descr=None, idempotency_key="t1")
    since = datetime(2000, 1, 1, tzinfo=timezone.utc)
    assert [t.amount for t in backend.call("reconcile_transfers", provider=bare, since=since,
                                           limit_to_one_request=False)] == [50]
    assert backend.call("reconcile_transfers", provider=provider, since=since, limit_to_one_request=False) == []


def test_retrieve_bank_shows_the_deposit_key_and_the_balance(backend, provider, broker, request_for):
    bank = backend.call("retrieve_bank", provider=provider, broker=broker, includes_balance=False)
    assert (bank.bank_name, bank.last4, bank.balance_amount) == ("Fake Bank", "1234", None)
    empty = backend.call("retrieve_bank", provider=provider, broker=broker, includes_balance=True)
    assert (empty.balance_amount, empty.balance_unit) == (0, "usd")
    backend.call("create_payment", request=request_for(amount=2000), reference=None)
    backend.call("create_payment", request=request_for(amount=1000, broker_fee_amount=100), reference=None)
    with pytest.raises(ProcessorError):
        backend.call("create_payment", request=request_for("tok_decline", amount=5000), reference=None)
    backend.call("create_transfer", provider=provider, amount=500, currency="usd", descr=None, idempotency_key="t")
    bank = backend.call("retrieve_bank", provider=provider, broker=broker, includes_balance=True)
    assert (bank.balance_amount, bank.balance_unit) == (1912 + (1000 - 59 - 100) - 500, "usd")


def test_update_bank_attaches_an_account(backend, provider, broker):
    bank = backend.call("update_bank", provider=provider, bank_token="btok_000123456789")
    assert (bank.bank_name, bank.last4) == ("Fake Bank", "6789")
    assert backend.call("retrieve_bank", provider=provider, broker=broker, includes_balance=False).last4 == "6789"
    assert backend.call("update_bank", provider=provider, bank_token="btok_us_9876").last4 == "9876"
    with pytest.raises(ProcessorError):
        backend.call("update_bank", provider=provider, bank_token="btok_invalid")
    with pytest.raises(ProcessorError):
        backend.call("update_bank", provider=provider, bank_token="not-a-bank-token")


def test_deposit_context(make_backend, provider):
    assert make_backend().call("get_deposit_context", provider=provider) == {
        "FAKE_PUB_KEY": "pk_fake", "FAKE_CLIENT_ID": "ca_fake",
    }
    assert make_backend(CLIENT_ID="ca_mine").call("get_deposit_context", provider=provider)["FAKE_CLIENT_ID"] == "ca_mine"


def test_connect_auth_derives_keys_from_the_code(backend, provider):
    keys = backend.call("connect_auth", provider=provider, code="ac_123")
    assert keys.deposit_key.startswith("acct_fake_")
    assert keys.pub_key.startswith("pk_fake_")
    assert keys.priv_key.get_secret_value().startswith("sk_fake_")
    assert keys.refresh_token.get_secret_value().startswith("rt_fake_")
    assert "sk_fake_" not in repr(keys)
    assert backend.call("connect_auth", provider=provider, code="ac_123") == keys
    assert backend.call("connect_auth", provider=provider, code="ac_456").deposit_key != keys.deposit_key


def test_connect_auth_refuses_a_bad_code(backend, provider):
    with pytest.raises(ProcessorSetupError) as caught:
        backend.call("connect_auth", provider=provider, code="bad")
    assert caught.value.provider == "cowork"


def test_authorize_url(make_backend, provider):
    url = make_backend().call("get_authorize_url", provider=provider, state="cowork", redirect_uri="https://app.test/cb")
    parts = urlsplit(url)
    assert (parts.scheme, parts.hostname) == ("http", "127.0.0.1")
    query = parse_qs(parts.query)
    assert query["state"] == ["cowork"]
    assert query["redirect_uri"] == ["https://app.test/cb"]
    assert query["scope"] == ["read_write"]
    plain = make_backend().call("get_authorize_url", provider=provider, state="s", redirect_uri=None)
    assert "redirect_uri" not in parse_qs(urlsplit(plain).query)
    configured = make_backend(CONNECT_CALLBACK_URL="https://app.test/connected").call(
        "get_authorize_url", provider=provider, state="s", redirect_uri=None
    )
    assert parse_qs(urlsplit(configured).query)["redirect_uri"] == ["https://app.test/connected"]


def test_deauthorize_url(backend, provider):
    url = backend.call("get_deauthorize_url", provider=provider)
    parts = urlsplit(url)
    assert parts.hostname == "127.0.0.1"
    assert parse_qs(parts.query)["account"] == [provider.keys.deposit_key]
    assert backend.call("get_deauthorize_url", provider=replace(provider, keys=ProcessorKeys())).endswith(
        "account=cowork"
    )
