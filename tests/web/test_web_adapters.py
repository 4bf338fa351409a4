"""The checkout page's processor adapters (static/adapters.js) in Chromium,
against local stand-ins of Stripe.js, Razorpay Checkout and Flutterwave v3
inline (tests/web/standins/), served in place of the real scripts: the
processors' scripts cannot load offline.

The page is payproc.web's own (served by the app, with its Content Security
Policy recomputed for the processor's script origin, as payproc.web does for
that backend); its JSON endpoints answer as a server on that backend would,
and record what the page posts. What is under test is the page: which calls
of the processor's script it makes, what it posts (the token in the
backend's field and the script's other fields), and what it shows after a
3-D Secure challenge that succeeds, fails or is closed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from webbrowsing import CUSTOMER, Page

STANDINS = Path(__file__).with_name("standins")
#: The scripts the backends declare (browser_integration); the web session
#: installs no plugin, so they are written here and compared with the
#: plugins' own constants where those are installed (the reliability session).
SCRIPTS = {
    "stripe": "https://js.stripe.com/v3/",
    "razorpay": "https://checkout.razorpay.com/v1/checkout.js",
    "flutterwave": "https://checkout.flutterwave.com/v3.js",
}


def _scripts() -> dict[str, str]:
    return SCRIPTS


PROCESSORS: dict[str, dict[str, Any]] = {
    "stripe": {"token_field": "stripeToken", "currency": "usd",
               "values": {"STRIPE_PUB_KEY": "pk_test_standin"},
               "prepared": {"STRIPE_INTENT_SECRET": "pi_standin1_secret_abc"}},
    "razorpay": {"token_field": "razorpay_payment_id", "currency": "inr",
                 "values": {"key": "rzp_test_standin"},
                 "prepared": {"order_id": "order_standin1", "amount": 2000, "currency": "INR", "name": "Cowork",
                              "prefill": {"email": "alice@example.com"}}},
    "flutterwave": {"token_field": "transaction_id", "currency": "ngn",
                    "values": {"public_key": "FLWPUBK_TEST-standin"},
                    "prepared": {"tx_ref": "payproc-standin1", "amount": "20.00", "currency": "NGN",
                                 "payment_options": "card", "customer": {"email": "alice@example.com"},
                                 "redirect_url": "http://127.0.0.1/return/k"}},
}


class Server:
    """The JSON endpoints as a server on ``backend`` answers them."""

    def __init__(self, backend: str, script: str, spec: dict[str, Any] | None = None) -> None:
        self.backend, self.script = backend, script
        self.spec = spec or PROCESSORS[backend]
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.checkout_answer: dict[str, Any] | None = None  # default: the charge is paid

    def charge(self, state: str, token: str | None = None, **extra: Any) -> dict[str, Any]:
        return {"id": 1, "state": state, "amount": 2000, "currency": self.spec["currency"],
                "display": f"20.00 {self.spec['currency'].upper()}", "amount_refunded": 0,
                "refunded_display": f"0.00 {self.spec['currency'].upper()}", "processor_key": token,
                "idempotency_key": "pp_standin_key", "failure_code": None, "next_action": None,
                "needs_review": False, "receipt": {"last4": "4242", "brand": "visa", "exp_date": None,
                                                    "card_name": None}, "created_at": None, **extra}

    def answer(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if path == "api/ledger":
            return 200, {"balanced": True, "problems": [], "balances": [], "entries": []}
        if path == "api/context":
            prepared = method == "POST"
            if prepared:
                self.posts.append((path, body))
            values = {**self.spec["values"], **(self.spec["prepared"] if prepared else {})}
            return 200, {"backend": self.backend, "customer": CUSTOMER, "token_field": self.spec["token_field"],
                         "values": values, "idempotency_key": "pp_standin_key" if prepared else None,
                         "next_action": None, "amount": 2000 if prepared else None,
                         "currency": self.spec["currency"], "minor_digits": 2,
                         "script_urls": [self.script], "notes": ""}
        self.posts.append((path, body))
        if path == "api/checkout":
            if self.checkout_answer is not None:
                return 202, self.checkout_answer
            return 200, self.charge("done", body.get(self.spec["token_field"]))
        if path == "api/complete":
            return 200, self.charge("done", body["params"].get("payment_intent"))
        return 404, {"error": "not_found", "message": path}

    def posted(self, path: str) -> list[dict[str, Any]]:
        return [body for where, body in self.posts if where == path]


def open_page(browser: Any, site: str, backend: str, mode: str = "pay",
              spec: dict[str, Any] | None = None) -> tuple[Page, Server]:
    script = _scripts()[backend]
    server = Server(backend, script, spec)
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(script))
    context = browser.new_context()

    def page_with_csp(route: Any) -> None:  # payproc.web's policy for this backend's script origin
        response = route.fetch()
        policy = response.headers["content-security-policy"]
        for directive in ("script-src 'self'", "connect-src 'self'", "frame-src 'self'"):
            policy = policy.replace(directive, f"{directive} {origin}")
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": policy})

    def endpoints(route: Any) -> None:
        request = route.request
        path = request.url[len(site):].split("?")[0]
        status, body = server.answer(request.method, path, json.loads(request.post_data or "{}"))
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    # Later routes win: nothing leaves the machine but the stand-in's URL.
    context.route(lambda url: not url.startswith("http://127.0.0.1:"), lambda route: route.abort())
    context.route(site, page_with_csp)
    context.route(f"{site}api/**", endpoints)
    context.route(script, lambda route: route.fulfill(
        content_type="application/javascript", body=(STANDINS / f"{backend}.js").read_text()))
    context.add_init_script(f"window.__standin = {{mode: {json.dumps(mode)}, calls: []}};")
    tab = Page.__new__(Page)
    tab.context, tab.page = context, context.new_page()
    tab.posts, tab.outside, tab.console_errors = [], [], []
    tab.page.on("pageerror", lambda error: tab.console_errors.append(str(error)))
    tab.page.on("console", lambda message: message.type == "error" and tab.console_errors.append(message.text))
    tab.page.goto(site)
    tab.page.wait_for_selector("body[data-ready='true']", timeout=10_000)
    return tab, server


def calls(tab: Page) -> list[Any]:
    return list(tab.page.evaluate("window.__standin.calls"))


def click_pay(tab: Page) -> None:
    tab.page.get_by_role("button", name="Pay").click()


def in_dialog(tab: Page, name: str, button: str) -> None:
    dialog = tab.page.get_by_role("dialog", name=name)
    dialog.wait_for()
    dialog.get_by_role("button", name=button).click()


def pay_in(tab: Page, dialog: str, *buttons: str) -> None:
    """Pay, answer the processor's window with ``buttons``, wait for the page."""
    click_pay(tab)
    for button in buttons:
        in_dialog(tab, dialog, button)
    tab.wait_idle()


@pytest.fixture
def opened(browser, site) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    tabs: list[Page] = []

    def make(backend: str, mode: str = "pay", spec: dict[str, Any] | None = None) -> tuple[Page, Server]:
        tab, server = open_page(browser, site, backend, mode, spec)
        tabs.append(tab)
        return tab, server

    yield make
    for tab in tabs:
        tab.close()


def test_the_stand_ins_replace_the_scripts_the_backends_declare() -> None:
    razorpay = pytest.importorskip("payproc_razorpay._checkout_hooks")
    flutterwave = pytest.importorskip("payproc_flutterwave.settings")
    stripe = pytest.importorskip("payproc_stripe.backend")
    assert (SCRIPTS["razorpay"], SCRIPTS["flutterwave"]) == (razorpay.CHECKOUT_JS, flutterwave.INLINE_SCRIPT)
    assert SCRIPTS["stripe"] in Path(stripe.__file__).read_text()


# --- Stripe.js ---------------------------------------------------------------------


def test_stripe_card_element_confirms_the_intent_and_posts_its_id(opened):
    tab, server = opened("stripe")
    assert tab.page.get_by_label("Card details (Stripe)").is_visible()
    assert tab.page.locator("#own-card").is_hidden(), "the card goes into Stripe's element only"
    click_pay(tab)
    tab.wait_idle()
    assert tab.text("#r-state") == "done"
    assert calls(tab) == [["Stripe", "pk_test_standin", None], ["elements"], ["elements.create", "card"],
                          ["element.mount"], ["confirmCardPayment", "pi_standin1_secret_abc", True]]
    (posted,) = server.posted("api/checkout")
    assert posted["stripeToken"] == "pi_standin1" and posted["idempotency_key"] == "pp_standin_key"
    assert tab.console_errors == []


def test_stripe_3ds_challenge_succeeds(opened):
    tab, server = opened("stripe", mode="challenge")
    pay_in(tab, "3D Secure 2 Test Page", "Complete authentication")
    assert tab.text("#pay-status") == "Paid 20.00 USD."
    assert [body["stripeToken"] for body in server.posted("api/checkout")] == ["pi_standin1"]


@pytest.mark.parametrize("answer", ["Fail authentication", "Close"])
def test_stripe_3ds_failed_or_closed_posts_nothing_and_keeps_the_purchase(opened, answer):
    tab, server = opened("stripe", mode="challenge")
    pay_in(tab, "3D Secure 2 Test Page", answer)
    assert tab.text("#pay-error").startswith("We are unable to authenticate your payment method.")
    assert server.posted("api/checkout") == []
    # The intent is still payable: the next try is the same purchase (same key).
    pay_in(tab, "3D Secure 2 Test Page", "Complete authentication")
    assert tab.text("#r-state") == "done"
    keys = [body.get("idempotency_key") for body in server.posted("api/context")]
    assert keys == [None, "pp_standin_key"], "a retried confirmation must reuse the purchase's key"


def test_stripe_action_reported_by_the_server_is_handled_and_completed(opened):
    tab, server = opened("stripe")
    server.checkout_answer = server.charge("requires_action", "pi_standin1", next_action={
        "kind": "script", "url": None, "values": {"client_secret": "pi_standin1_secret_abc"}, "expires_at": None})
    click_pay(tab)
    tab.wait_idle()
    assert ["handleNextAction", "pi_standin1_secret_abc"] in calls(tab)
    (completed,) = server.posted("api/complete")
    assert completed == {"idempotency_key": "pp_standin_key", "params": {"payment_intent": "pi_standin1"}}
    assert tab.text("#r-state") == "done"


def _on_account(payment_account: str, intent_account: str | None) -> dict[str, Any]:
    """Stripe's page context for a direct charge on a connected account: the
    account payments are made on, and the prepared intent's own account."""
    stripe = PROCESSORS["stripe"]
    prepared = {**stripe["prepared"], **({"STRIPE_ACCOUNT": intent_account} if intent_account else {})}
    return {**stripe, "values": {**stripe["values"], "STRIPE_PAYMENT_ACCOUNT": payment_account},
            "prepared": prepared}


def test_stripe_on_a_connected_account_mounts_and_confirms_on_that_account(opened):
    # Stripe.js confirms only with an Element made by the confirming instance
    # (the stand-in throws otherwise, as Stripe.js does): the Element is made
    # on the connected account from the start, and that instance confirms.
    tab, server = opened("stripe", spec=_on_account("acct_provider", "acct_provider"))
    click_pay(tab)
    tab.wait_idle()
    assert tab.text("#r-state") == "done"
    assert calls(tab) == [["Stripe", "pk_test_standin", {"stripeAccount": "acct_provider"}], ["elements"],
                          ["elements.create", "card"], ["element.mount"],
                          ["confirmCardPayment", "pi_standin1_secret_abc", True]]
    assert [body["stripeToken"] for body in server.posted("api/checkout")] == ["pi_standin1"]
    assert tab.console_errors == []


def test_stripe_intent_on_another_account_than_the_card_form_confirms_nothing(opened):
    tab, server = opened("stripe", spec=_on_account("acct_provider", "acct_other"))
    click_pay(tab)
    tab.wait_idle()
    assert tab.text("#pay-error") == ("This payment is made on another Stripe account than the card form was "
                                      "loaded for; reload the page and pay again.")
    assert not any(call[0] == "confirmCardPayment" for call in calls(tab))
    assert server.posted("api/checkout") == []


# --- Razorpay Checkout -----------------------------------------------------------------


def test_razorpay_checkout_handler_fields_are_posted(opened):
    tab, server = opened("razorpay")
    pay_in(tab, "Razorpay Checkout", "Pay with OTP")
    assert tab.text("#r-state") == "done"
    (posted,) = server.posted("api/checkout")
    assert (posted["razorpay_payment_id"], posted["razorpay_order_id"], posted["razorpay_signature"]) == (
        "pay_standin0001", "order_standin1", "sig_from_razorpay")
    assert calls(tab)[0] == ["Razorpay", {"key": "rzp_test_standin", "order_id": "order_standin1", "amount": 2000,
                                          "currency": "INR", "has_handler": True, "has_ondismiss": True}]
    assert ["on", "payment.failed"] in calls(tab) and calls(tab)[-1] == ["open"]


def test_razorpay_failed_otp_then_closed_shows_why_and_posts_nothing(opened):
    tab, server = opened("razorpay")
    pay_in(tab, "Razorpay Checkout", "Wrong OTP", "Close")
    assert tab.text("#pay-error") == "Payment failed: OTP was incorrect"
    assert server.posted("api/checkout") == []


# --- Flutterwave v3 inline -------------------------------------------------------------


def test_flutterwave_inline_callback_posts_the_transaction_id(opened):
    tab, server = opened("flutterwave")
    pay_in(tab, "Flutterwave Checkout", "Authenticate and pay")
    assert tab.text("#r-state") == "done"
    (posted,) = server.posted("api/checkout")
    assert (posted["transaction_id"], posted["tx_ref"]) == ("4000123", "payproc-standin1")
    first = calls(tab)[0]
    assert first[0] == "FlutterwaveCheckout" and first[1]["redirect_url"] is None, (
        "with a redirect_url Flutterwave redirects instead of calling back")
    assert ["close"] in calls(tab)


@pytest.mark.parametrize(("answer", "message"), [
    ("Fail authentication", "The payment was not completed (failed)."),
    ("Close", "The payment window was closed; nothing was paid."),
])
def test_flutterwave_failed_or_closed_posts_nothing(opened, answer, message):
    tab, server = opened("flutterwave")
    pay_in(tab, "Flutterwave Checkout", answer)
    assert tab.text("#pay-error") == message
    assert server.posted("api/checkout") == []
