"""fakestripe routes: PaymentIntents (with 3-D Secure), charges, refunds and application fees."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from fakestripe_auth import challenge, charge_intent, decline_unauthenticated, needs_authentication
from fakestripe_server import Call, check_descriptor, currency_param, int_param
from fakestripe_state import THREE_DECIMAL, StripeFail, export, missing, new_id, search_metadata, template

#: Stripe's documented minimum charge per currency, in minor units
#: (docs.stripe.com/currencies#minimum-and-maximum-charge-amounts); other currencies: 1.
MINIMUM_CHARGE = {
    "usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50, "czk": 1500, "dkk": 250,
    "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "inr": 50, "jpy": 50, "mxn": 1000, "myr": 200, "nok": 300,
    "nzd": 50, "pln": 200, "ron": 200, "sek": 300, "sgd": 50, "thb": 1000,
}

#: Statuses a PaymentIntent can be canceled from (Stripe's error message lists them).
CANCELABLE = ("requires_payment_method", "requires_capture", "requires_confirmation", "requires_action",
              "processing")

if TYPE_CHECKING:
    from fakestripe_server import FakeStripe


def register(fake: FakeStripe) -> None:
    """Add this story's routes to ``fake``."""
    state = fake.state
    r = fake.route


    def pay(call: Call, intent: dict[str, Any]) -> None:
        method = state.method_from_params(call.account, call.params) or (
            state.payment_method(call.account, intent["payment_method"]) if intent["payment_method"] else None)
        if method is None:
            raise StripeFail(400, "You cannot confirm this PaymentIntent because it's missing a payment method.")
        if method.get("customer") and method["customer"] != intent.get("customer"):
            raise StripeFail(400, "The provided PaymentMethod belongs to a Customer; pass that Customer.",
                             param="payment_method")
        if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
            raise StripeFail(400, f"This PaymentIntent's status is {intent['status']}; it cannot be confirmed.",
                             code="payment_intent_unexpected_state")
        intent["payment_method"] = method["id"]
        verdict = needs_authentication(method, off_session=call.params.get("off_session") in ("true", "one_off",
                                                                                               "recurring"))
        if verdict == "challenge":
            challenge(fake, intent, call.params.get("return_url"))
        elif verdict == "decline":
            decline_unauthenticated(intent, method)
        else:
            charge_intent(state, call.account, intent, method)

    @r("POST", "/v1/payment_intents", "PaymentIntentCreateParams")
    def intent_create(call: Call) -> Any:
        p = call.params
        amount, currency = int_param(p, "amount"), currency_param(p)
        assert amount is not None
        minimum = MINIMUM_CHARGE.get(currency, 1)
        if amount < minimum:
            raise StripeFail(400, f"Amount must be at least {minimum} {currency}", param="amount",
                             code="amount_too_small")
        if currency in THREE_DECIMAL and amount % 10:
            raise StripeFail(400, f"Amounts in {currency} must end in 0.", param="amount")
        if p.get("statement_descriptor"):
            raise StripeFail(400, "The `statement_descriptor` parameter is not supported for the `card` payment "
                             "method type. Use `statement_descriptor_suffix` instead.",
                             param="statement_descriptor")
        check_descriptor(p.get("statement_descriptor_suffix"), "statement_descriptor_suffix")
        confirm = p.get("confirm") in ("true", True)
        if "off_session" in p and not confirm:
            raise StripeFail(400, "You can only pass in `off_session` when `confirm` is set to true.",
                             param="off_session")
        destination = (p.get("transfer_data") or {}).get("destination")
        if destination:
            target = state.accounts.get(destination)
            if target is None or target.platform != call.account.id or target.revoked:
                raise StripeFail(400, f"No such destination: '{destination}'", param="transfer_data[destination]")
        on_behalf_of = p.get("on_behalf_of")
        if on_behalf_of:
            target = state.accounts.get(on_behalf_of)
            if target is None or target.platform != call.account.id or target.revoked:
                raise StripeFail(400, f"No such account: '{on_behalf_of}'", param="on_behalf_of")
            if destination and on_behalf_of != destination:
                raise StripeFail(400, "You cannot specify an on_behalf_of value that is different from the "
                                 "transfer_data[destination] value when using card payments.", param="on_behalf_of")
        fee = int_param(p, "application_fee_amount", required=False)
        if fee is not None:
            if call.account is call.caller and not destination:
                raise StripeFail(400, "Can only apply an application_fee_amount when the PaymentIntent is "
                                 "attempting a direct payment (using an OAuth key or Stripe-Account header) or "
                                 "destination payment (using `transfer_data[destination]`).",
                                 param="application_fee_amount")
            if not 0 <= fee <= amount:
                raise StripeFail(400, "application_fee_amount must be between 0 and amount.",
                                 param="application_fee_amount")
        if p.get("customer"):
            call.account.get(p["customer"], "customer", "customer")
        ident = new_id("pi")
        intent = call.account.add(template(
            "payment_intent", id=ident, client_secret=f"{ident}_secret_{new_id('s')}", amount=amount,
            currency=currency, amount_received=0, amount_capturable=0, created=int(time.time()),
            customer=p.get("customer"), description=p.get("description"), metadata=p.get("metadata") or {},
            application_fee_amount=fee, transfer_data={"destination": destination} if destination else None,
            payment_method=None, latest_charge=None, last_payment_error=None, next_action=None, canceled_at=None,
            setup_future_usage=p.get("setup_future_usage"), status="requires_payment_method",
            statement_descriptor_suffix=p.get("statement_descriptor_suffix"), processing=None,
            payment_method_types=p.get("allowed_payment_method_types") or ["card"], automatic_payment_methods=None,
            on_behalf_of=on_behalf_of,
            payment_method_configuration_details=None, capture_method="automatic",
        ))
        method = state.method_from_params(call.account, p)
        if method is not None:
            intent["payment_method"] = method["id"]
            intent["status"] = "requires_confirmation"
        if confirm:
            pay(call, intent)
        return fake.out(call, intent)

    @r("GET", "/v1/payment_intents", "PaymentIntentListParams")
    def intent_list(call: Call) -> Any:
        items = [obj for obj in call.account.objects.values() if obj["object"] == "payment_intent"]
        created = call.params.get("created") or {}
        checks = {"gt": int.__gt__, "gte": int.__ge__, "lt": int.__lt__, "lte": int.__le__}
        for op, value in (created.items() if isinstance(created, dict) else []):
            items = [obj for obj in items if checks[op](obj["created"], int(value))]
        return fake.listing(call, items, "/v1/payment_intents")

    @r("GET", "/v1/payment_intents/search", "PaymentIntentSearchParams")
    def intent_search(call: Call) -> Any:
        key, value = search_metadata(call.params.get("query", ""))
        found = [obj for obj in call.account.objects.values()
                 if obj["object"] == "payment_intent" and (obj.get("metadata") or {}).get(key) == value]
        data = [export(obj, [p[5:] for p in call.expand if p.startswith("data.")], state, call.account)
                for obj in found]
        return {"object": "search_result", "data": data, "has_more": False, "next_page": None,
                "url": "/v1/payment_intents/search"}

    @r("GET", "/v1/payment_intents/(?P<id>pi_\\w+)", "PaymentIntentRetrieveParams", publishable=True)
    def intent_get(call: Call) -> Any:
        intent = call.account.get(call.match["id"], "payment_intent", "intent")
        if not call.secret and call.params.get("client_secret") != intent["client_secret"]:
            raise missing("payment_intent", call.match["id"], "intent")
        return fake.out(call, intent)

    @r("POST", "/v1/payment_intents/(?P<id>pi_\\w+)/confirm", "PaymentIntentConfirmParams", publishable=True)
    def intent_confirm(call: Call) -> Any:
        intent = call.account.get(call.match["id"], "payment_intent", "intent")
        if not call.secret and call.params.get("client_secret") != intent["client_secret"]:
            raise missing("payment_intent", call.match["id"], "intent")
        if "setup_future_usage" in call.params:
            intent["setup_future_usage"] = call.params["setup_future_usage"] or None
        pay(call, intent)
        return fake.out(call, intent)

    @r("POST", "/v1/payment_intents/(?P<id>pi_\\w+)/cancel", "PaymentIntentCancelParams")
    def intent_cancel(call: Call) -> Any:
        intent = call.account.get(call.match["id"], "payment_intent", "intent")
        if intent["status"] not in CANCELABLE:
            raise StripeFail(400, f"You cannot cancel this PaymentIntent because it has a status of "
                             f"{intent['status']}. Only a PaymentIntent with one of the following statuses may be "
                             f"canceled: {', '.join(CANCELABLE)}.", code="payment_intent_unexpected_state",
                             payment_intent=export(intent))
        intent.update(status="canceled", canceled_at=int(time.time()), next_action=None,
                      cancellation_reason=call.params.get("cancellation_reason"))
        return fake.out(call, intent)

    @r("GET", "/v1/charges/(?P<id>ch_\\w+)", "ChargeRetrieveParams")
    def charge_get(call: Call) -> Any:
        return fake.out(call, call.account.get(call.match["id"], "charge", "id"))

    @r("POST", "/v1/refunds", "RefundCreateParams")
    def refund_create(call: Call) -> Any:
        return fake.out(call, state.refund(call.account, call.params))

    @r("GET", "/v1/refunds/(?P<id>re_\\w+)", "RefundRetrieveParams")
    def refund_get(call: Call) -> Any:
        return fake.out(call, call.account.get(call.match["id"], "refund", "id"))

    @r("GET", "/v1/refunds", "RefundListParams")
    def refund_list(call: Call) -> Any:
        items = [obj for obj in call.account.objects.values() if obj["object"] == "refund"]
        for name in ("charge", "payment_intent"):
            if call.params.get(name):
                items = [obj for obj in items if obj.get(name) == call.params[name]]
        return fake.listing(call, items, "/v1/refunds")

    @r("GET", "/v1/application_fees/(?P<id>fee_\\w+)", "ApplicationFeeRetrieveParams")
    def fee_get(call: Call) -> Any:
        return fake.out(call, call.account.get(call.match["id"], "application fee", "id"))

    @r("POST", "/v1/application_fees/(?P<id>fee_\\w+)/refunds", "ApplicationFeeRefundCreateParams")
    def fee_refund(call: Call) -> Any:
        fee = call.account.get(call.match["id"], "application fee", "id")
        return fake.out(call, state.fee_refund(call.account, fee, call.params))

