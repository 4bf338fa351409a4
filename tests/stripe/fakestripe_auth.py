"""3-D Secure in the fake: Stripe's authentication test cards, what a
confirmation does with them, and the challenge page (the issuer's page, not
Stripe's API) where a test completes or fails the authentication.

Behaviours, as Stripe's testing docs describe the cards
(``pm_card_<name>`` / ``tok_<name>``):

* ``threeDSecure2Required`` (…3220), ``threeDSecureRequired`` (…3063),
  ``authenticationRequired`` (…3184): authentication on every payment. On
  session the intent goes to ``requires_action``; off session the payment is
  declined with ``authentication_required`` and the intent goes back to
  ``requires_payment_method`` (the customer must come back);
* ``authenticationRequiredOnSetup`` (…3155): authentication for one-time
  payments and for setting the card up; once set up (a SetupIntent or a
  payment with ``setup_future_usage`` that was authenticated), off-session
  payments succeed;
* ``authenticationRequiredSetupForOffSession`` (…0446): authentication on
  session, off-session payments succeed;
* ``authenticationRequiredChargeDeclinedInsufficientFunds`` (…3178),
  ``threeDSecureRequiredChargeDeclined`` (…1629): authentication succeeds,
  then the card is declined.

``requires_action``'s ``next_action`` is ``redirect_to_url`` (to
:data:`CHALLENGE_PATH` on the fake, back to ``return_url`` with
``payment_intent``/``setup_intent`` and ``redirect_status``) when the
confirmation gave a ``return_url``, else ``use_stripe_sdk`` (Stripe.js runs
the challenge with the client secret). Failing the challenge leaves the
intent in ``requires_payment_method`` with ``last_payment_error.code =
payment_intent_authentication_failure`` (``setup_intent_authentication_failure``
for SetupIntents).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from fakestripe_state import TEST_CARDS, Account, FakeStripeState, StripeFail, export

if TYPE_CHECKING:
    from fakestripe_server import FakeStripe

__all__ = ["AUTH_CARDS", "CHALLENGE_PATH", "challenge", "charge_intent", "needs_authentication", "serve_challenge"]

#: The fake's issuer page: ``GET`` shows it, ``POST outcome=complete|fail`` answers it.
CHALLENGE_PATH = "/_fakestripe/3ds/"
#: name -> (last4, when authentication is asked, decline code once authenticated)
AUTH_CARDS: dict[str, tuple[str, str, str | None]] = {
    "threeDSecure2Required": ("3220", "always", None),
    "threeDSecureRequired": ("3063", "always", None),
    "authenticationRequired": ("3184", "always", None),
    "authenticationRequiredOnSetup": ("3155", "unless_set_up", None),
    "authenticationRequiredSetupForOffSession": ("0446", "on_session", None),
    "authenticationRequiredChargeDeclinedInsufficientFunds": ("3178", "always", "insufficient_funds"),
    "threeDSecureRequiredChargeDeclined": ("1629", "always", "generic_decline"),
}
for _name, (_last4, _rule, _decline) in AUTH_CARDS.items():
    TEST_CARDS.setdefault(_name, (_last4, "visa", None, None))


def needs_authentication(method: dict[str, Any], *, off_session: bool, setup: bool = False) -> str | None:
    """``"challenge"``, ``"decline"`` (off session, ``authentication_required``) or ``None``."""
    card = AUTH_CARDS.get(method.get("_test_card") or "")
    if card is None:
        return None
    rule = card[1]
    if setup:
        return "challenge" if rule in ("always", "unless_set_up") else None
    if not off_session:
        return "challenge"
    if rule == "always" or (rule == "unless_set_up" and not method.get("_set_up")):
        return "decline"
    return None


def challenge(fake: FakeStripe, intent: dict[str, Any], return_url: str | None) -> None:
    """Put ``intent`` in ``requires_action`` with the next action Stripe gives."""
    intent["status"] = "requires_action"
    if return_url:
        intent["_return_url"] = return_url
        intent["next_action"] = {"type": "redirect_to_url", "redirect_to_url": {
            "url": f"{fake.url}{CHALLENGE_PATH}{intent['id']}", "return_url": return_url}}
    else:
        intent["next_action"] = {"type": "use_stripe_sdk", "use_stripe_sdk": {
            "type": "three_d_secure_redirect", "stripe_js": f"{fake.url}{CHALLENGE_PATH}{intent['id']}",
            "source": intent.get("payment_method")}}


def charge_intent(state: FakeStripeState, account: Account, intent: dict[str, Any], method: dict[str, Any],
                  *, decline: str | None = None) -> None:
    """Charge ``method`` for ``intent`` (authenticated or not needing it); a decline raises Stripe's 402."""
    intent["next_action"] = None
    charge = state.charge(account, intent, method, decline=decline)
    intent["latest_charge"] = charge["id"]
    if charge["status"] == "failed":
        intent["status"] = "requires_payment_method"
        intent["last_payment_error"] = {
            "type": "card_error", "code": charge["failure_code"], "decline_code": charge["outcome"]["reason"],
            "message": charge["failure_message"], "charge": charge["id"], "payment_method": export(method)}
        raise StripeFail(402, charge["failure_message"], type="card_error", code=charge["failure_code"],
                         decline_code=charge["outcome"]["reason"], charge=charge["id"],
                         payment_intent=export(intent), payment_method=export(method))
    intent["status"] = "succeeded"
    intent["amount_received"] = intent["amount"]
    intent["last_payment_error"] = None
    if intent.get("setup_future_usage") and intent.get("customer") and not method.get("customer"):
        method["customer"] = intent["customer"]
        method["_set_up"] = True


def decline_unauthenticated(intent: dict[str, Any], method: dict[str, Any]) -> None:
    """Off session, a card that needs authentication: Stripe's ``authentication_required`` decline."""
    message = "Your card was declined. This transaction requires authentication."
    intent["status"] = "requires_payment_method"
    intent["last_payment_error"] = {
        "type": "card_error", "code": "authentication_required", "decline_code": "authentication_required",
        "message": message, "payment_method": export(method)}
    raise StripeFail(402, message, type="card_error", code="authentication_required",
                     decline_code="authentication_required", payment_intent=export(intent),
                     payment_method=export(method))


def _find(state: FakeStripeState, ident: str) -> tuple[Account, dict[str, Any]] | None:
    for account in state.accounts.values():
        if ident in account.objects:
            return account, account.objects[ident]
    return None


def _answer(state: FakeStripeState, account: Account, intent: dict[str, Any], outcome: str) -> str:
    """Apply the customer's answer to the challenge; the intent's status after it."""
    if intent["status"] != "requires_action":
        raise StripeFail(400, f"{intent['id']} is {intent['status']}, not waiting for authentication")
    method = state.payment_method(account, intent["payment_method"])
    setup = intent["object"] == "setup_intent"
    if outcome != "complete":
        intent["status"] = "requires_payment_method"
        intent["next_action"] = None
        error = {"type": "invalid_request_error",
                 "code": f"{'setup' if setup else 'payment'}_intent_authentication_failure",
                 "message": "We are unable to authenticate your payment method. Please choose a different "
                            "payment method and try again.", "payment_method": export(method)}
        intent["last_setup_error" if setup else "last_payment_error"] = error
        return str(intent["status"])
    if setup:
        intent["next_action"] = None
        state.attach(account, method, intent["customer"])
        method["_set_up"] = True
        intent["status"] = "succeeded"
        return "succeeded"
    decline = (AUTH_CARDS.get(method.get("_test_card") or "") or ("", "", None))[2]
    try:
        charge_intent(state, account, intent, method, decline=decline)
    except StripeFail:
        pass  # the decline is on the intent (last_payment_error), as Stripe leaves it
    if intent.get("setup_future_usage") and intent["status"] == "succeeded":
        method["_set_up"] = True
    return str(intent["status"])


PAGE = """<!doctype html><title>3D Secure test page</title><h1>Authenticate {ident}</h1>
<form method=post><button name=outcome value=complete>Complete authentication</button>
<button name=outcome value=fail>Fail authentication</button></form>"""


def serve_challenge(fake: FakeStripe, request: Request) -> Response:
    """The issuer's page for ``/_fakestripe/3ds/<intent id>``."""
    ident = request.path[len(CHALLENGE_PATH):]
    with fake.lock:
        found = _find(fake.state, ident)
        if found is None:
            return Response("no such intent", status=404)
        account, intent = found
        if request.method == "GET":
            return Response(PAGE.format(ident=ident), content_type="text/html")
        try:
            status = _answer(fake.state, account, intent, request.form.get("outcome", ""))
        except StripeFail as fail:
            return Response(json.dumps(fail.body), status=fail.status, content_type="application/json")
        return_url = intent.get("_return_url")
    if return_url:
        kind = "setup_intent" if ident.startswith("seti_") else "payment_intent"
        redirect = "succeeded" if status == "succeeded" else "failed"
        query = urlencode({kind: ident, f"{kind}_client_secret": intent["client_secret"], "redirect_status": redirect})
        separator = "&" if "?" in return_url else "?"
        return Response(status=302, headers={"Location": f"{return_url}{separator}{query}"})
    return Response(json.dumps({"id": ident, "status": status}), content_type="application/json")

