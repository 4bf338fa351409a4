"""The state and rules of the fake Stripe: accounts, objects and what each
API call does to them.

Objects are built from Stripe's published examples
(``stripe-openapi-fixtures3.json``) so field names and shapes are Stripe's;
behaviour follows Stripe's documentation for the calls the backend makes:
fees on balance transactions, application fees on direct and destination
charges, transfers and their reversals, refunds, payouts, cloning payment
methods into connected accounts, and Stripe's test cards.
"""

from __future__ import annotations

import copy
import itertools
import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fakestripe_errors import StripeFail, missing
from fakestripe_render import export, search_metadata

__all__ = [
    "DECLINE_MESSAGES", "DISPUTE_FEE", "TEST_CARDS", "THREE_DECIMAL", "Account", "FakeStripeState", "StripeFail",
    "empty_list", "export", "missing", "new_id", "search_metadata", "stripe_fee", "template",
]

FIXTURES = Path("/work/shared/data/stripe-openapi-fixtures3.json")
_TEMPLATES: dict[str, Any] = {}
_COUNTER = itertools.count(1)

#: Stripe's test cards by name: last4, brand, (decline code at attach, decline code at charge).
TEST_CARDS: dict[str, tuple[str, str, str | None, str | None]] = {
    "visa": ("4242", "visa", None, None),
    "mastercard": ("4444", "mastercard", None, None),
    "chargeDeclined": ("0002", "visa", "generic_decline", "generic_decline"),
    "visa_chargeDeclined": ("0002", "visa", "generic_decline", "generic_decline"),
    "chargeDeclinedInsufficientFunds": ("9995", "visa", "insufficient_funds", "insufficient_funds"),
    "chargeDeclinedExpiredCard": ("0069", "visa", "expired_card", "expired_card"),
    "chargeCustomerFail": ("0341", "visa", None, "generic_decline"),
}
DECLINE_MESSAGES = {
    "generic_decline": ("card_declined", "Your card was declined."),
    "insufficient_funds": ("card_declined", "Your card has insufficient funds."),
    "expired_card": ("expired_card", "Your card has expired."),
}
ZERO_DECIMAL = {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
THREE_DECIMAL = {"bhd", "jod", "kwd", "omr", "tnd"}
#: Stripe's dispute fee in the fake (15.00 in the charge's currency).
DISPUTE_FEE = 1500


def template(_name: str, /, **values: Any) -> dict[str, Any]:
    """A copy of Stripe's example ``_name`` with ``values`` set."""
    if not _TEMPLATES:
        _TEMPLATES.update(json.loads(FIXTURES.read_text())["resources"])
    obj = copy.deepcopy(_TEMPLATES[_name])
    obj.update(values)
    return obj


def new_id(prefix: str) -> str:
    return f"{prefix}_{next(_COUNTER):06d}{secrets.token_hex(6)}"


def stripe_fee(amount: int, currency: str) -> int:
    """The fake's price list: 2.9% (half-up) + 30 minor units."""
    return (amount * 290 + 5000) // 10000 + 30


def empty_list(url: str) -> dict[str, Any]:
    return {"object": "list", "data": [], "has_more": False, "url": url}


@dataclass
class Account:
    id: str
    secret_key: str
    publishable_key: str
    platform: str | None = None  # the platform this account is connected to
    revoked: bool = False
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    balance: dict[str, int] = field(default_factory=dict)
    default_currency: str = "usd"
    bank: dict[str, Any] | None = None

    def get(self, ident: str, kind: str, param: str | None = None) -> dict[str, Any]:
        obj = self.objects.get(ident)
        if obj is None:
            raise missing(kind, ident, param)
        return obj

    def add(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.objects[obj["id"]] = obj
        return obj

    def credit(self, currency: str, amount: int) -> None:
        self.balance[currency] = self.balance.get(currency, 0) + amount


class FakeStripeState:
    """Every account the fake knows, plus the operations on them."""

    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.oauth_codes: dict[str, str] = {}
        self.events: list[dict[str, Any]] = []
        self.client_id = "ca_fakeplatform"
        self.paid_payouts = 0  # payouts the bank pays at once (staged by tests)
        self.platform = self.new_account("platform")

    # --- accounts ---------------------------------------------------------

    def new_account(self, name: str, platform: Account | None = None) -> Account:
        ident = f"acct_{name}{secrets.token_hex(4)}"
        account = Account(
            ident, f"sk_test_{name}{secrets.token_hex(8)}", f"pk_test_{name}{secrets.token_hex(8)}",
            platform=platform.id if platform else None,
        )
        self.accounts[ident] = account
        return account

    def connect(self, name: str) -> Account:
        """A connected account (Standard) of the platform."""
        return self.new_account(name, self.platform)

    def issue_oauth_code(self, account: Account) -> str:
        code = f"ac_{secrets.token_hex(8)}"
        self.oauth_codes[code] = account.id
        return code

    def by_key(self, key: str) -> tuple[Account, bool]:
        for account in self.accounts.values():
            if key == account.secret_key:
                if account.revoked:
                    raise StripeFail(401, "Expired API Key provided: sk_test_***", type="invalid_request_error",
                                     code="api_key_expired")
                return account, True
            if key == account.publishable_key:
                return account, False
        raise StripeFail(401, f"Invalid API Key provided: {key[:8]}***", type="invalid_request_error")

    def target(self, caller: Account, header: str | None) -> Account:
        """The account a request acts on (``Stripe-Account`` header)."""
        if not header or header == caller.id:
            return caller
        account = self.accounts.get(header)
        if account is None or account.platform != caller.id or account.revoked:
            raise StripeFail(
                403,
                f"The provided key 'sk_test_***' does not have access to account '{header}' "
                "(or that account does not exist). Application access may have been revoked.",
                code="account_invalid",
            )
        return account

    def find(self, account: Account, ident: str) -> dict[str, Any] | None:
        """An object by id in ``account``, else on its platform (application fees…)."""
        found = account.objects.get(ident)
        if found is None and account.platform:
            found = self.accounts[account.platform].objects.get(ident)
        return found

    # --- events -----------------------------------------------------------

    def event(self, account: Account, kind: str, obj: dict[str, Any], previous: dict[str, Any] | None = None) -> None:
        data: dict[str, Any] = {"object": copy.deepcopy(obj)}
        if previous is not None:
            data["previous_attributes"] = previous
        self.events.append(template(
            "event", id=new_id("evt"), type=kind, created=int(time.time()), data=data,
            account=None if account.platform is None else account.id, api_version="2026-10-28.endive",
        ))

    # --- payment methods ----------------------------------------------------

    def payment_method(self, account: Account, ident: str) -> dict[str, Any]:
        """A payment method by id; Stripe's ``pm_card_*`` test ids materialize on use."""
        if ident.startswith("pm_card_") and ident[8:] in TEST_CARDS and ident not in account.objects:
            return self.card_method(account, ident[8:])
        obj = account.objects.get(ident)
        if obj is None or obj.get("object") not in ("payment_method", "card"):
            raise missing("PaymentMethod", ident, "payment_method")
        return obj

    def card_method(self, account: Account, name: str, billing: dict[str, Any] | None = None) -> dict[str, Any]:
        last4, brand, _, _ = TEST_CARDS[name]
        card = template("payment_method")["card"]
        card.update(last4=last4, brand=brand, display_brand=brand, exp_month=12, exp_year=2034,
                    fingerprint=f"fp{name}"[:16], wallet=None)
        details = template("payment_method")["billing_details"]
        details.update({"address": {k: None for k in details["address"]}, "email": None, "phone": None, "name": None})
        details.update(billing or {})
        return account.add(template(
            "payment_method", id=new_id("pm"), created=int(time.time()), customer=None, metadata={},
            card=card, billing_details=details, _test_card=name,
        ))

    def from_token(self, account: Account, token: str, billing: dict[str, Any] | None = None) -> dict[str, Any]:
        if not token.startswith("tok_") or token[4:] not in TEST_CARDS:
            raise StripeFail(400, f"No such token: '{token}'", code="resource_missing", param="card[token]")
        return self.card_method(account, token[4:], billing)

    def method_from_params(self, account: Account, params: dict[str, Any]) -> dict[str, Any] | None:
        if params.get("payment_method"):
            return self.payment_method(account, params["payment_method"])
        data = params.get("payment_method_data")
        if data:
            card = data.get("card") or {}
            if data.get("type") != "card" or set(card) != {"token"}:
                raise StripeFail(400, "Sending credit card numbers directly to the Stripe API is generally unsafe. "
                                 "Use payment_method_data[card][token].", param="payment_method_data[card]")
            return self.from_token(account, card["token"], data.get("billing_details"))
        return None

    def attach(self, account: Account, method: dict[str, Any], customer: str) -> None:
        account.get(customer, "customer", "customer")
        name = method.get("_test_card")
        decline = TEST_CARDS[name][2] if name else None
        if decline:
            code, message = DECLINE_MESSAGES[decline]
            raise StripeFail(402, message, type="card_error", code=code, decline_code=decline)
        method["customer"] = customer

    # --- charges ------------------------------------------------------------

    def charge(self, account: Account, intent: dict[str, Any], method: dict[str, Any],
               decline: str | None = None) -> dict[str, Any]:
        """Charge ``method`` for ``intent``: money, fees, application fee, transfer
        (``decline``: the issuer's answer after authentication)."""
        amount, currency = intent["amount"], intent["currency"]
        name = method.get("_test_card")
        decline = decline or (TEST_CARDS[name][3] if name else None)
        card = method.get("card") or {}
        details = template("charge")["payment_method_details"]
        details["card"].update({key: card.get(key) for key in ("brand", "last4", "exp_month", "exp_year", "fingerprint")})
        details["card"]["wallet"] = None
        charge = account.add(template(
            "charge", id=new_id("ch"), amount=amount, amount_captured=amount if not decline else 0,
            amount_refunded=0, application=None, application_fee=None,
            application_fee_amount=intent.get("application_fee_amount"), balance_transaction=None,
            billing_details=copy.deepcopy(method.get("billing_details") or template("charge")["billing_details"]),
            captured=not decline, created=int(time.time()), currency=currency, customer=intent.get("customer"),
            description=intent.get("description"), disputed=False, metadata=dict(intent.get("metadata") or {}),
            paid=not decline, payment_intent=intent["id"], payment_method=method["id"],
            payment_method_details=details, refunded=False, source=None, review=None, receipt_url=None,
            statement_descriptor=None, statement_descriptor_suffix=intent.get("statement_descriptor_suffix"),
            status="failed" if decline else "succeeded", transfer_data=None, transfer=None, on_behalf_of=None,
            outcome={"type": "issuer_declined" if decline else "authorized", "network_status":
                     "declined_by_network" if decline else "approved_by_network", "reason": decline,
                     "seller_message": "The bank declined the payment." if decline else "Payment complete.",
                     "risk_level": "normal"},
            failure_code=DECLINE_MESSAGES[decline][0] if decline else None,
            failure_message=DECLINE_MESSAGES[decline][1] if decline else None,
            _refunds=[],
        ))
        if decline:
            self.event(account, "charge.failed", export(charge))
            return charge
        fee = stripe_fee(amount, currency)
        fee_details = [{"amount": fee, "application": None, "currency": currency,
                        "description": "Stripe processing fees", "type": "stripe_fee"}]
        app_fee = intent.get("application_fee_amount") or 0
        destination = (intent.get("transfer_data") or {}).get("destination")
        platform = self.accounts[account.platform] if account.platform else account
        fee_object = None
        if app_fee:
            fee_object = platform.add(template(
                "application_fee", id=new_id("fee"), account=destination or account.id, amount=app_fee,
                amount_refunded=0, application=self.client_id, balance_transaction=None, charge=charge["id"],
                created=int(time.time()), currency=currency, fee_source={"charge": charge["id"], "type": "charge"},
                originating_transaction=None, refunded=False, _refunds=[],
            ))
            charge["application_fee"] = fee_object["id"]
            if not destination:  # direct charge: the fee is taken from the connected account's money
                fee_details.append({"amount": app_fee, "application": self.client_id, "currency": currency,
                                    "description": "Application fee", "type": "application_fee"})
                platform.credit(currency, app_fee)
        total_fee = sum(item["amount"] for item in fee_details)
        transaction = account.add(template(
            "balance_transaction", id=new_id("txn"), amount=amount, available_on=int(time.time()),
            created=int(time.time()), currency=currency, description=intent.get("description"), exchange_rate=None,
            fee=total_fee, fee_details=fee_details, net=amount - total_fee, reporting_category="charge",
            source=charge["id"], status="available", type="charge",
        ))
        charge["balance_transaction"] = transaction["id"]
        account.credit(currency, amount - total_fee)
        if destination:
            # Stripe's destination-charge flow: the whole amount is transferred to the
            # connected account, then the application fee comes back from it to the
            # platform; Stripe's fee stays on the platform's balance.
            target = self.accounts[destination]
            transfer = account.add(template(
                "transfer", id=new_id("tr"), amount=amount, amount_reversed=0, created=int(time.time()),
                currency=currency, destination=destination, destination_payment=new_id("py"),
                source_transaction=charge["id"], balance_transaction=None, reversed=False,
                reversals=empty_list("/v1/transfers/reversals"),
            ))
            account.credit(currency, -amount)
            target.credit(currency, amount)
            if fee_object is not None:
                target.credit(currency, -app_fee)
                platform.credit(currency, app_fee)
            charge["transfer_data"] = {"amount": None, "destination": destination}
            charge["transfer"] = transfer["id"]
            charge["destination"] = destination
            charge["on_behalf_of"] = intent.get("on_behalf_of")
        self.event(account, "charge.succeeded", export(charge))
        return charge

    def refund(self, account: Account, params: dict[str, Any]) -> dict[str, Any]:
        ident = params.get("charge")
        if params.get("payment_intent") and ident:
            raise StripeFail(400, "You can only pass one of charge or payment_intent.", param="payment_intent")
        if params.get("payment_intent"):  # Stripe refunds the PaymentIntent's successful charge
            intent = account.get(params["payment_intent"], "payment_intent", "payment_intent")
            ident = intent.get("latest_charge") if intent["status"] == "succeeded" else None
            if not ident:
                raise StripeFail(400, f"This PaymentIntent ({intent['id']}) does not have a successful charge to "
                                 "refund.", code="charge_not_refundable", param="payment_intent")
        if not ident:
            raise StripeFail(400, "One of the following params should be provided for this request: "
                             "payment_intent or charge.")
        charge = account.get(ident, "charge", "charge")
        left = charge["amount"] - charge["amount_refunded"]
        amount = int(params.get("amount", left))
        if charge["status"] != "succeeded":
            raise StripeFail(400, f"Charge {ident} has not been captured or has failed.", code="charge_not_refundable")
        if amount <= 0 or amount > left:
            raise StripeFail(400, f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                             code="amount_too_large", param="amount")
        currency = charge["currency"]
        transaction = account.add(template(
            "balance_transaction", id=new_id("txn"), amount=-amount, available_on=int(time.time()),
            created=int(time.time()), currency=currency, description="REFUND FOR CHARGE", exchange_rate=None, fee=0,
            fee_details=[], net=-amount, reporting_category="refund", source=None, status="available", type="refund",
        ))
        refund = account.add(template(
            "refund", id=new_id("re"), amount=amount, balance_transaction=transaction["id"], charge=ident,
            created=int(time.time()), currency=currency, metadata=dict(params.get("metadata") or {}),
            payment_intent=charge.get("payment_intent"), status="succeeded", transfer_reversal=None,
            reason=params.get("reason"), customer=charge.get("customer"),
        ))
        transaction["source"] = refund["id"]
        account.credit(currency, -amount)
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        charge["_refunds"].insert(0, refund["id"])
        if _truthy(params.get("reverse_transfer")) and charge.get("transfer"):
            transfer = account.objects[charge["transfer"]]
            reversed_amount = amount * transfer["amount"] // charge["amount"]
            transfer["amount_reversed"] += reversed_amount
            self.accounts[transfer["destination"]].credit(currency, -reversed_amount)
            account.credit(currency, reversed_amount)
            refund["transfer_reversal"] = new_id("trr")
        if _truthy(params.get("refund_application_fee")) and charge.get("application_fee"):
            fee = self.find(account, charge["application_fee"]) or {}
            self.fee_refund(account, fee, {"amount": amount * fee["amount"] // charge["amount"]})
        # Since 2022-11-15 a charge no longer lists its refunds unless expanded, and events expand nothing.
        self.event(account, "charge.refunded", export(charge), previous)
        return refund

    def fee_refund(self, account: Account, fee: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        left = fee["amount"] - fee["amount_refunded"]
        amount = int(params.get("amount", left))
        if amount <= 0 or amount > left:
            raise StripeFail(400, f"Refund amount ({amount}) is greater than unrefunded amount on fee ({left})",
                             param="amount")
        refund = account.add(template(
            "fee_refund", id=new_id("fr"), amount=amount, balance_transaction=None, created=int(time.time()),
            currency=fee["currency"], fee=fee["id"], metadata=dict(params.get("metadata") or {}),
        ))
        fee["amount_refunded"] += amount
        fee["refunded"] = fee["amount_refunded"] == fee["amount"]
        fee["_refunds"].insert(0, refund["id"])
        account.credit(fee["currency"], -amount)
        self.accounts[fee["account"]].credit(fee["currency"], amount)
        return refund

    def dispute(self, account: Account, charge_id: str, status: str = "needs_response", *,
                amount: int | None = None, case_type: str | None = None) -> dict[str, Any]:
        """Open a dispute on ``charge_id`` (or move the charge's open dispute to ``status``).

        As Stripe does: an inquiry (``warning_*`` statuses, ``case_type``
        inquiry) moves no money; a chargeback withdraws the disputed amount
        plus Stripe's dispute fee from the charge's account (a balance
        transaction with a ``stripe_fee``); ``won`` reinstates the amount;
        ``lost`` keeps the withdrawal; ``warning_closed`` closes an inquiry.
        """
        charge = account.get(charge_id, "charge")
        currency = charge["currency"]
        inquiry = status.startswith("warning_") if case_type is None else case_type == "inquiry"
        dispute = next((obj for obj in account.objects.values() if obj["object"] == "dispute"
                        and obj["charge"] == charge_id and obj["status"] not in ("won", "lost", "warning_closed")
                        and obj["_inquiry"] == inquiry), None)
        if dispute is None:
            case = "inquiry" if inquiry else "chargeback"
            details = template("dispute")["payment_method_details"]
            details["card"]["case_type"] = case
            dispute = account.add(template(
                "dispute", id=new_id("dp"), amount=charge["amount"] if amount is None else amount, charge=charge_id,
                currency=currency, created=int(time.time()), payment_intent=charge.get("payment_intent"),
                status=status, balance_transactions=[], is_charge_refundable=inquiry,
                payment_method_details=details, _inquiry=inquiry,
            ))
            charge["disputed"] = True
        dispute["status"] = status
        moved = dispute["balance_transactions"]  # Stripe returns them as objects, not ids
        if not inquiry and not moved:  # the chargeback's withdrawal
            self._dispute_money(account, dispute, -dispute["amount"], DISPUTE_FEE)
        if status == "won" and not any(item.get("amount", 0) > 0 for item in moved):
            self._dispute_money(account, dispute, dispute["amount"], 0)
        return dispute

    def _dispute_money(self, account: Account, dispute: dict[str, Any], amount: int, fee: int) -> None:
        currency = dispute["currency"]
        details = [{"amount": fee, "application": None, "currency": currency, "description": "Dispute fee",
                    "type": "stripe_fee"}] if fee else []
        transaction = account.add(template(
            "balance_transaction", id=new_id("txn"), amount=amount, available_on=int(time.time()),
            created=int(time.time()), currency=currency,
            description=f"Chargeback {'withdrawal' if amount < 0 else 'reversal'} for {dispute['charge']}",
            exchange_rate=None, fee=fee, fee_details=details, net=amount - fee, reporting_category="dispute",
            source=dispute["id"], status="available", type="adjustment",
        ))
        dispute["balance_transactions"].append(export(transaction))
        account.credit(currency, amount - fee)

    def take_paid_payout(self) -> bool:
        """Whether the payout being made is one a test staged as paid by the bank at once."""
        if self.paid_payouts:
            self.paid_payouts -= 1
            return True
        return False

    def payout_outcome(self, account: Account, payout_id: str, status: str,
                       failure_code: str | None = None) -> dict[str, Any]:
        """The bank's answer to a payout: ``paid``, or ``failed`` (the money comes back to the balance)."""
        payout = account.get(payout_id, "payout")
        payout["status"] = status
        if status == "failed":
            payout["failure_code"] = failure_code or "account_closed"
            payout["failure_message"] = "The bank account has been closed."
            account.credit(payout["currency"], payout["amount"])
        self.event(account, f"payout.{status}", export(payout))
        return payout


def _truthy(value: Any) -> bool:
    return value in (True, "true", "True", "1")
