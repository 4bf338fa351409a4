"""The card on file, Connect OAuth, payouts, balances, banks and customers."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlparse

import pytest

from payproc.errors import CardError, InvalidAmount, ProcessorError, ProcessorSetupError
from payproc.types import Party, PaymentRequest, ProcessorKeys
from stripe_world import World, make_backend


def _with_card(party, key):
    return Party(party.slug, party.printable_name, party.email, keys=ProcessorKeys(card_key=key))


def test_card_update_retrieve_replace_delete(world):
    first = world.call("create_or_update_card", subscriber=world.subscriber, token="tok_visa",
                       provider=world.broker, broker=world.broker)
    alice = _with_card(world.subscriber, first.card_key)
    assert world.call("retrieve_card", subscriber=alice, broker=world.broker).last4 == "4242"
    second = world.call("create_or_update_card", subscriber=alice, token="tok_mastercard",
                        provider=world.broker, broker=world.broker)
    assert second.card_key == first.card_key and second.card.last4 == "4444"
    card = world.call("retrieve_card", subscriber=alice, broker=world.broker)
    assert (card.last4, card.brand, card.exp_date.year) == ("4444", "mastercard", 2034)
    world.call("delete_card", subscriber=alice, broker=world.broker)
    assert world.call("retrieve_card", subscriber=alice, broker=world.broker) is None
    assert world.call("retrieve_card", subscriber=world.subscriber, broker=world.broker) is None


def test_declined_card_update(world):
    with pytest.raises(CardError) as caught:
        world.call("create_or_update_card", subscriber=world.subscriber, token=world.harness.card_token(
            outcome="decline"), provider=world.broker, broker=world.broker)
    assert caught.value.code == "card_declined"


def test_unknown_customer_is_no_card(world):
    ghost = _with_card(world.subscriber, "cus_gone")
    assert world.call("retrieve_card", subscriber=ghost, broker=world.broker) is None
    world.call("delete_card", subscriber=ghost, broker=world.broker)  # only a warning


def test_remote_mode_uses_a_legacy_source(fake_stripe):
    world = World(fake_stripe, mode=2)
    update = world.call("create_or_update_card", subscriber=world.subscriber, token="tok_visa",
                        provider=world.broker, broker=world.broker)
    customer = world.broker_account.objects[update.card_key]
    assert customer["default_source"].startswith("card_")
    alice = _with_card(world.subscriber, update.card_key)
    assert world.call("retrieve_card", subscriber=alice, broker=world.broker).last4 == "4242"
    world.call("delete_card", subscriber=alice, broker=world.broker)
    assert world.call("retrieve_card", subscriber=alice, broker=world.broker) is None


def test_list_customers_pages_and_filters(world):
    for index in range(105):
        world.server.platform.add({"id": f"cus_{index:04d}", "object": "customer", "created": index,
                                   "description": f"org-{index}" if index % 2 else f"other-{index}",
                                   "email": None})
    found = world.call("list_customers", pattern="^org-", broker=world.broker)
    assert len(found) == 52 and all(c.description.startswith("org-") for c in found)
    pages = [r for r in world.server.requests if r["path"] == "/v1/customers"]
    assert len(pages) == 2 and pages[1]["params"]["starting_after"]


def test_connect_oauth(world):
    url = world.call("get_authorize_url", provider=world.provider, state="signed-state", redirect_uri=None)
    query = parse_qs(urlparse(url).query)
    assert url.startswith(world.server.url + "/oauth/authorize?")
    assert query["client_id"] == ["ca_fakeplatform"] and query["scope"] == ["read_write"]
    assert query["state"] == ["signed-state"] and query["response_type"] == ["code"]
    new = world.server.state.connect("newco")
    code = world.server.state.issue_oauth_code(new)
    keys = world.call("connect_auth", provider=Party("newco"), code=code)
    assert keys.deposit_key == new.id and keys.pub_key == new.publishable_key
    assert keys.priv_key.get_secret_value() == new.secret_key and new.secret_key not in repr(keys)
    with pytest.raises(ProcessorSetupError) as caught:
        world.call("connect_auth", provider=Party("newco"), code=code)  # codes are single use
    assert caught.value.provider == "newco"
    assert world.call("get_deauthorize_url", provider=world.provider) == "/billing/provider/bank/deauthorize/"


def test_deauthorize_then_access_is_revoked(fake_stripe):
    world = World(fake_stripe, mode=1)
    world.backend.impl.deauthorize(world.provider)
    assert world.provider_account.revoked
    with pytest.raises(ProcessorSetupError) as caught:
        world.call("create_transfer", provider=world.provider, amount=100, currency="usd", descr=None,
                   idempotency_key="po-revoked")
    assert caught.value.revoked and caught.value.provider == "provider"


def test_payouts_and_reconciliation(fake_stripe):
    world = World(fake_stripe, mode=1)
    world.provider_account.credit("eur", 100_000)
    world.provider_account.credit("huf", 100_000)
    made = [world.call("create_transfer", provider=world.provider, amount=1000 + i, currency="eur",
                       descr=f"payout {i}", idempotency_key=f"po-{i}") for i in range(3)]
    assert made[0].processor_key.startswith("po_") and made[0].status == "pending"
    with pytest.raises(InvalidAmount):
        world.call("create_transfer", provider=world.provider, amount=150, currency="huf", descr=None,
                   idempotency_key="po-huf")
    assert world.call("create_transfer", provider=world.provider, amount=1500, currency="huf", descr=None,
                      idempotency_key="po-huf2").amount == 1500
    with pytest.raises(ProcessorError, match="insufficient funds"):
        world.call("create_transfer", provider=world.provider, amount=10**9, currency="eur", descr=None,
                   idempotency_key="po-big")
    since = datetime.now(timezone.utc) - timedelta(hours=1)
    assert world.call("reconcile_transfers", provider=world.provider, since=since, limit_to_one_request=False) == []
    for index in range(150):  # paid payouts, more than one page
        world.provider_account.add({"id": f"po_old{index:04d}", "object": "payout", "amount": index + 1,
                                    "currency": "eur", "created": int(since.timestamp()) + index + 1,
                                    "status": "paid", "description": ""})
    found = world.call("reconcile_transfers", provider=world.provider, since=since, limit_to_one_request=False)
    assert len(found) == 150 and [t.amount for t in found] == list(range(1, 151))
    one = world.call("reconcile_transfers", provider=world.provider, since=since, limit_to_one_request=True)
    assert len(one) == 100


def test_bank_and_balance(fake_stripe):
    world = World(fake_stripe, mode=1)
    world.provider_account.credit("usd", 4200)
    bank = world.call("retrieve_bank", provider=world.provider, broker=world.broker, includes_balance=True)
    assert bank.bank_name == "Stripe" and (bank.balance_amount, bank.balance_unit) == (4200, "usd")
    updated = world.call("update_bank", provider=world.provider, bank_token="btok_us")
    assert updated.last4 == "***-6789"
    bank = world.call("retrieve_bank", provider=world.provider, broker=world.broker, includes_balance=False)
    assert (bank.bank_name, bank.last4, bank.balance_amount) == ("STRIPE TEST BANK", "***-6789", None)


def test_two_backends_with_different_keys_never_mix(fake_stripe):
    world = World(fake_stripe)
    other = fake_stripe.state.new_account("otherplatform")
    second = make_backend(dict(world.harness.processor_settings(), PRIV_KEY=other.secret_key))
    request = PaymentRequest(amount=700, currency="usd", customer=world.subscriber, provider=world.broker,
                             broker=world.broker, idempotency_key="mix", token="tok_visa")
    one = world.call("create_payment", request=request, reference=None)
    two = second.call("create_payment", request=request, reference=None)
    assert one.processor_key in fake_stripe.platform.objects and two.processor_key in other.objects
    assert one.processor_key not in other.objects


def test_import_does_not_import_the_sdk():
    code = "import sys, payproc_stripe; from payproc_stripe import backend; print('stripe' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_local_mode_bank_is_the_platforms_own(world):
    """LOCAL: payouts go to the platform's own account (``GET /v1/account``); its
    bank account cannot be changed through the API, which the backend says
    before calling Stripe."""
    world.server.platform.credit("usd", 1234)
    bank = world.call("retrieve_bank", provider=world.provider, broker=world.broker, includes_balance=True)
    assert (bank.balance_amount, bank.balance_unit) == (1234, "usd")
    assert [r["path"] for r in world.server.requests] == ["/v1/account", "/v1/balance"]
    before = len(world.server.requests)
    with pytest.raises(ProcessorError, match="Dashboard"):
        world.call("update_bank", provider=world.provider, bank_token="btok_us")
    assert len(world.server.requests) == before and world.server.platform.bank is None


@pytest.mark.parametrize("owner_has_card_key", [True, False])
@pytest.mark.parametrize("thief_has_card_key", [True, False])
def test_another_customers_setup_intent_is_not_this_subscribers_card(world, owner_has_card_key, thief_has_card_key):
    """A ``seti_`` (or ``pi_``) id of another customer's card context posted
    as the card: refused, the intent's Customer never becomes this
    subscriber's card on file; the subscriber's own still works."""
    from payproc.errors import InvalidInput

    owner = world.subscriber
    if owner_has_card_key:
        owner = _with_card(owner, world.call("create_or_update_card", subscriber=owner, token="tok_visa",
                                             provider=world.broker, broker=world.broker).card_key)
    context = world.call("get_payment_context", return_url=None, subscriber=owner, amount=None, currency=None,
                         provider=world.broker, broker=world.broker, broker_fee_amount=0, idempotency_key=None)
    assert world.harness.confirm_in_browser(context, "pm_card_mastercard").status_code == 200
    thief = Party("mallory", "Mallory", "m@example.com")
    if thief_has_card_key:
        thief = _with_card(thief, world.call("create_or_update_card", subscriber=thief, token="tok_visa",
                                             provider=world.broker, broker=world.broker).card_key)
    with pytest.raises(InvalidInput, match="another customer"):
        world.call("create_or_update_card", subscriber=thief, token=context.reference, provider=world.broker,
                   broker=world.broker)
    own = world.call("create_or_update_card", subscriber=owner, token=context.reference, provider=world.broker,
                     broker=world.broker)
    assert own.card.last4 == "4444"
    assert own.card_key != thief.keys.card_key
