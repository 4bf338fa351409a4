"""fakestripe routes: payouts, balances, accounts and bank accounts, Connect OAuth."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from fakestripe_server import Call, check_descriptor, currency_param, int_param
from fakestripe_state import Account, StripeFail, missing, new_id, template

if TYPE_CHECKING:
    from fakestripe_server import FakeStripe


#: Why the OAuth routes are not checked against stripe.params.
OAUTH = "Connect OAuth (connect.stripe.com) has no params class in the stripe SDK; its routes check their own fields"


class OAuthFail(StripeFail):
    """OAuth errors have their own body: ``{"error": code, "error_description": text}``."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(400, description)
        self.body = {"error": code, "error_description": description}  # type: ignore[dict-item]


def register(fake: FakeStripe) -> None:
    """Add this story's routes to ``fake``."""
    state = fake.state
    r = fake.route

    @r("POST", "/v1/payouts", "PayoutCreateParams")
    def payout_create(call: Call) -> Any:
        amount, currency = int_param(call.params, "amount"), currency_param(call.params)
        assert amount is not None
        check_descriptor(call.params.get("statement_descriptor"), "statement_descriptor")
        if currency in ("huf", "twd") and amount % 100:
            raise StripeFail(400, f"Payouts in {currency} must be whole units (divisible by 100).",
                             param="amount")
        if call.account.balance.get(currency, 0) < amount:
            raise StripeFail(400, "You have insufficient funds in your Stripe account for this transfer.",
                             code="balance_insufficient")
        call.account.credit(currency, -amount)
        payout = call.account.add(template(
            "payout", id=new_id("po"), amount=amount, currency=currency, created=int(time.time()),
            arrival_date=int(time.time()) + 86400, automatic=False, description=call.params.get("description"),
            statement_descriptor=call.params.get("statement_descriptor"),
            status="paid" if state.take_paid_payout() else "pending",
            metadata=call.params.get("metadata") or {}, destination=(call.account.bank or {}).get("id"),
            balance_transaction=None, reconciliation_status="not_applicable",
        ))
        return fake.out(call, payout)

    @r("GET", "/v1/payouts", "PayoutListParams")
    def payout_list(call: Call) -> Any:
        created = call.params.get("created") or {}
        items = [obj for obj in call.account.objects.values() if obj["object"] == "payout"]
        if call.params.get("status"):
            items = [obj for obj in items if obj["status"] == call.params["status"]]
        checks = {"gt": int.__gt__, "gte": int.__ge__, "lt": int.__lt__, "lte": int.__le__}
        for op, value in (created.items() if isinstance(created, dict) else []):
            items = [obj for obj in items if checks[op](obj["created"], int(value))]
        return fake.listing(call, items, "/v1/payouts")

    @r("GET", "/v1/payouts/(?P<id>po_\\w+)", "PayoutRetrieveParams")
    def payout_get(call: Call) -> Any:
        return fake.out(call, call.account.get(call.match["id"], "payout", "id"))

    @r("GET", "/v1/balance", "BalanceRetrieveParams")
    def balance(call: Call) -> Any:
        available = [{"amount": amount, "currency": currency, "source_types": {"card": amount}}
                     for currency, amount in sorted(call.account.balance.items())]
        return template("balance", available=available or [
            {"amount": 0, "currency": call.account.default_currency, "source_types": {"card": 0}}],
            pending=[], connect_reserved=None)

    def account_out(account: Account) -> dict[str, Any]:
        banks = [account.bank] if account.bank else []
        return template("account", id=account.id, default_currency=account.default_currency,
                        external_accounts={"object": "list", "data": banks, "has_more": False,
                                           "url": f"/v1/accounts/{account.id}/external_accounts"})

    @r("GET", "/v1/account", "AccountRetrieveCurrentParams")
    def account_self(call: Call) -> Any:
        return account_out(call.account)

    @r("GET", "/v1/accounts/(?P<id>acct_\\w+)", "AccountRetrieveParams")
    def account_get(call: Call) -> Any:
        return account_out(state.target(call.caller, call.match["id"]))

    @r("POST", "/v1/accounts/(?P<id>acct_\\w+)", "AccountUpdateParams")
    def account_update(call: Call) -> Any:
        account = state.target(call.caller, call.match["id"])
        token = call.params.get("external_account")
        if token:
            if not str(token).startswith("btok_"):
                raise missing("token", str(token), "external_account")
            account.bank = template("bank_account", id=new_id("ba"), account=account.id,
                                    currency=account.default_currency, default_for_currency=True,
                                    last4="6789", bank_name="STRIPE TEST BANK")
        return account_out(account)

    @r("POST", "/oauth/token", None, unchecked=OAUTH)
    def oauth_token(call: Call) -> Any:
        if call.params.get("grant_type") != "authorization_code":
            raise StripeFail(400, "unsupported_grant_type")
        ident = state.oauth_codes.pop(call.params.get("code", ""), None)
        if ident is None:
            raise OAuthFail("invalid_grant", f"Authorization code does not exist: {call.params.get('code')}")
        account = state.accounts[ident]
        account.revoked = False
        return {"access_token": account.secret_key, "livemode": False, "refresh_token": f"rt_{new_id('x')}",
                "scope": "read_write", "stripe_publishable_key": account.publishable_key,
                "stripe_user_id": account.id, "token_type": "bearer"}

    @r("POST", "/oauth/deauthorize", None, unchecked=OAUTH)
    def oauth_deauthorize(call: Call) -> Any:
        if call.params.get("client_id") != state.client_id:
            raise OAuthFail("invalid_client", "No such application")
        account = state.accounts.get(call.params.get("stripe_user_id", ""))
        if account is None or account.platform != call.caller.id:
            raise OAuthFail("invalid_client", "This application is not connected to the account")
        account.revoked = True
        return {"stripe_user_id": account.id}

