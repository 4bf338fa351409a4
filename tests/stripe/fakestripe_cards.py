"""fakestripe routes: customers, payment methods (Stripe's test cards and tokens) and SetupIntents."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from fakestripe_auth import challenge, needs_authentication
from fakestripe_server import Call
from fakestripe_state import StripeFail, export, missing, new_id, template

if TYPE_CHECKING:
    from fakestripe_server import FakeStripe


def register(fake: FakeStripe) -> None:
    """Add this story's routes to ``fake``."""
    state = fake.state
    r = fake.route

    @r("POST", "/v1/customers", "CustomerCreateParams")
    def customer_create(call: Call) -> Any:
        customer = call.account.add(template(
            "customer", id=new_id("cus"), created=int(time.time()), description=call.params.get("description"),
            email=call.params.get("email"), name=call.params.get("name"), default_source=None, discount=None,
            metadata=call.params.get("metadata") or {}, currency=None,
            invoice_settings={**template("customer")["invoice_settings"], "default_payment_method": None},
            sources=None,
        ))
        if call.params.get("payment_method"):
            state.attach(call.account, state.payment_method(call.account, call.params["payment_method"]),
                         customer["id"])
        return fake.out(call, customer)

    @r("GET", "/v1/customers/(?P<id>cus_\\w+)", "CustomerRetrieveParams")
    def customer_get(call: Call) -> Any:
        return fake.out(call, call.account.get(call.match["id"], "customer"))

    @r("POST", "/v1/customers/(?P<id>cus_\\w+)", "CustomerUpdateParams")
    def customer_update(call: Call) -> Any:
        customer = call.account.get(call.match["id"], "customer")
        for name in ("description", "email", "name"):
            if name in call.params:
                customer[name] = call.params[name]
        settings = call.params.get("invoice_settings") or {}
        if "default_payment_method" in settings:
            ident = settings["default_payment_method"] or None
            if ident:
                method = state.payment_method(call.account, ident)
                if method.get("customer") != customer["id"]:
                    raise StripeFail(400, f"The customer does not have a payment method with the ID {ident}. "
                                     "The payment method must be attached to the customer.",
                                     param="invoice_settings[default_payment_method]")
            customer["invoice_settings"]["default_payment_method"] = ident
        if call.params.get("source"):
            method = state.from_token(call.account, call.params["source"])
            card = call.account.add({**method["card"], "id": new_id("card"), "object": "card",
                                     "customer": customer["id"], "name": None,
                                     "_test_card": method["_test_card"]})
            call.account.objects.pop(method["id"])
            state.attach(call.account, card, customer["id"])
            customer["default_source"] = card["id"]
        return fake.out(call, customer)

    @r("GET", "/v1/customers", "CustomerListParams")
    def customer_list(call: Call) -> Any:
        items = [obj for obj in call.account.objects.values() if obj["object"] == "customer"]
        return fake.listing(call, items, "/v1/customers")

    @r("DELETE", "/v1/customers/(?P<id>cus_\\w+)/sources/(?P<source>\\w+)", "CustomerPaymentSourceDeleteParams")
    def source_delete(call: Call) -> Any:
        customer = call.account.get(call.match["id"], "customer")
        card = call.account.get(call.match["source"], "source")
        card["customer"] = None
        if customer.get("default_source") == card["id"]:
            customer["default_source"] = None
        if customer["invoice_settings"].get("default_payment_method") == card["id"]:
            customer["invoice_settings"]["default_payment_method"] = None
        return {"id": card["id"], "object": "card", "deleted": True}

    @r("POST", "/v1/payment_methods", "PaymentMethodCreateParams", publishable=True)
    def method_create(call: Call) -> Any:
        if call.params.get("payment_method") and call.params.get("customer"):
            # Cloning a platform customer's card into a connected account.
            if call.account is call.caller:
                raise StripeFail(400, "Cloning a PaymentMethod requires the Stripe-Account header.")
            source = call.caller.get(call.params["customer"], "customer", "customer")
            method = state.payment_method(call.caller, call.params["payment_method"])
            if method.get("customer") != source["id"]:
                raise StripeFail(400, "The payment method is not attached to this customer.",
                                 param="payment_method")
            clone = call.account.add({**method, "id": new_id("pm"), "customer": None,
                                      "object": "payment_method"})
            if method.get("object") == "card":
                clone = call.account.add(template(
                    "payment_method", id=clone["id"], customer=None, card={**template("payment_method")["card"],
                    **{k: method.get(k) for k in ("brand", "last4", "exp_month", "exp_year")}},
                    _test_card=method.get("_test_card")))
            return fake.out(call, clone)
        if call.params.get("type") != "card":
            raise StripeFail(400, "Invalid type: must be card", param="type")
        card = call.params.get("card") or {}
        if set(card) != {"token"}:
            raise StripeFail(400, "Sending credit card numbers directly to the Stripe API is generally unsafe.",
                             param="card")
        return fake.out(call, state.from_token(call.account, card["token"], call.params.get("billing_details")))

    @r("GET", "/v1/payment_methods/(?P<id>\\w+)", "PaymentMethodRetrieveParams")
    def method_get(call: Call) -> Any:
        return fake.out(call, state.payment_method(call.account, call.match["id"]))

    @r("POST", "/v1/payment_methods/(?P<id>\\w+)/attach", "PaymentMethodAttachParams")
    def method_attach(call: Call) -> Any:
        method = state.payment_method(call.account, call.match["id"])
        if method.get("customer"):
            raise StripeFail(400, "This PaymentMethod is already attached to a customer.")
        state.attach(call.account, method, call.params.get("customer", ""))
        return fake.out(call, method)

    @r("POST", "/v1/payment_methods/(?P<id>\\w+)/detach", "PaymentMethodDetachParams")
    def method_detach(call: Call) -> Any:
        method = state.payment_method(call.account, call.match["id"])
        if not method.get("customer"):
            raise StripeFail(400, "The payment method you provided is not attached to a customer so "
                             "detachment is impossible.")
        customer = call.account.objects.get(method["customer"])
        if customer and customer["invoice_settings"].get("default_payment_method") == method["id"]:
            customer["invoice_settings"]["default_payment_method"] = None
        method["customer"] = None
        return fake.out(call, method)

    def setup_confirm(call: Call, intent: dict[str, Any]) -> None:
        method = state.method_from_params(call.account, call.params) or (
            state.payment_method(call.account, intent["payment_method"]) if intent["payment_method"] else None)
        if method is None:
            raise StripeFail(400, "You cannot confirm this SetupIntent because it's missing a payment method.")
        intent["payment_method"] = method["id"]
        if needs_authentication(method, off_session=False, setup=True):
            challenge(fake, intent, call.params.get("return_url"))
            return
        try:
            if intent.get("customer"):
                state.attach(call.account, method, intent["customer"])
        except StripeFail as fail:
            intent["status"] = "requires_payment_method"
            intent["last_setup_error"] = {**fail.body["error"], "payment_method": export(method)}
            fail.body["error"]["setup_intent"] = export(intent)
            raise
        intent["status"] = "succeeded"
        intent["last_setup_error"] = None
        method["_set_up"] = bool(intent.get("customer"))

    @r("POST", "/v1/setup_intents", "SetupIntentCreateParams")
    def setup_create(call: Call) -> Any:
        if call.params.get("customer"):
            call.account.get(call.params["customer"], "customer", "customer")
        ident = new_id("seti")
        intent = call.account.add(template(
            "setup_intent", id=ident, client_secret=f"{ident}_secret_{new_id('s')}", created=int(time.time()),
            customer=call.params.get("customer"), usage=call.params.get("usage", "off_session"),
            payment_method=None, status="requires_payment_method", last_setup_error=None, next_action=None,
            metadata=call.params.get("metadata") or {}, payment_method_configuration_details=None,
        ))
        if call.params.get("payment_method"):
            intent["payment_method"] = state.payment_method(call.account, call.params["payment_method"])["id"]
            intent["status"] = "requires_confirmation"
        if call.params.get("confirm") in ("true", True):
            setup_confirm(call, intent)
        return fake.out(call, intent)

    @r("GET", "/v1/setup_intents/(?P<id>seti_\\w+)", "SetupIntentRetrieveParams")
    def setup_get(call: Call) -> Any:
        return fake.out(call, call.account.get(call.match["id"], "setup intent", "intent"))

    @r("POST", "/v1/setup_intents/(?P<id>seti_\\w+)/confirm", "SetupIntentConfirmParams", publishable=True)
    def setup_confirm_route(call: Call) -> Any:
        intent = call.account.get(call.match["id"], "setup intent", "intent")
        if not call.secret and call.params.get("client_secret") != intent["client_secret"]:
            raise missing("setup intent", call.match["id"], "intent")
        setup_confirm(call, intent)
        return fake.out(call, intent)
