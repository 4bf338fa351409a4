"""Payments: the browser's context, one-time tokens and the card on file.

Stripe calls:

* context: ``POST /v1/customers`` (subscriber without a customer), then
  ``POST /v1/setup_intents`` (card update) or ``POST /v1/payment_intents``
  (checkout, ``setup_future_usage=off_session`` when the intent lives on the
  card's account);
* ``pi_`` token (the browser confirmed the context intent with Stripe.js):
  ``GET /v1/payment_intents/{id}?expand[]=latest_charge``;
* ``tok_`` token: ``POST /v1/payment_methods`` (``type=card``,
  ``card[token]``) first, then as a ``pm_`` token;
* ``pm_`` token with a context intent: ``POST /v1/payment_intents/{id}/confirm``;
  without one: ``POST /v1/payment_intents`` (``confirm=true``);
* ``cus_`` / card on file: ``GET /v1/customers/{id}``, then (card and charge
  on different accounts) ``POST /v1/payment_methods`` to clone the card into
  the charge's account, then ``POST /v1/payment_intents`` (``confirm=true``).

``off_session=true`` is sent only when the core says the customer is absent
(``request.off_session``: renewals); a customer at the checkout can still
authenticate, so their payment is on-session and a 3-D Secure challenge comes
back as ``REQUIRES_ACTION`` with the next action (``request.return_url``
makes it a redirect, else Stripe.js runs it with the client secret). An
off-session payment Stripe declines with ``authentication_required`` keeps
its PaymentIntent: ``REQUIRES_ACTION`` with what the customer needs to
confirm it on session later, not a decline.

``request.save_card`` keeps the card within the same payment
(``setup_future_usage=off_session`` on the customer of the card account):
one purchase, one PaymentIntent.
"""

from __future__ import annotations

from typing import Any

from payproc.errors import CardError, InvalidInput, NoPaymentMethod, ProcessorError
from payproc.types import Party, PaymentContext, PaymentRequest, PaymentResult

from .api import StripeApi
from .builders import CARD_ONLY, IDEMPOTENCY_METADATA, customer_params, intent_params
from .intents import payment_result
from .routing import Route, card_route, charge_route
from .settings import StripeSettings

__all__ = ["Payments", "payment_method_id"]


def payment_method_id(api: StripeApi, route: Route, token: str, idempotency_key: str | None) -> str:
    """The PaymentMethod a browser token names: ``pm_``/``card_``/``src_`` as
    is; a legacy ``tok_`` becomes a PaymentMethod on ``route``'s account."""
    if not token.startswith("tok_"):
        return token
    method = api.request(
        route,
        api.v1.payment_methods.create,
        params={"type": "card", "card": {"token": token}},
        idempotency_key=f"{idempotency_key}:pm" if idempotency_key else None,
    )
    return str(method["id"])


def _unauthenticated_intent(error: CardError) -> dict[str, Any] | None:
    """The PaymentIntent of an ``authentication_required`` decline (Stripe's 402 body carries it)."""
    if error.code != "authentication_required":
        return None
    body = getattr(error.backend_except, "json_body", None) or {}
    intent = (body.get("error") or {}).get("payment_intent") if isinstance(body, dict) else None
    return intent if isinstance(intent, dict) and intent.get("id") else None


class Payments:
    def __init__(self, api: StripeApi) -> None:
        self.api = api

    @property
    def settings(self) -> StripeSettings:
        return self.api.settings

    # --- context -----------------------------------------------------------

    def _customer(self, subscriber: Party, route: Route, idempotency_key: str | None) -> str:
        if subscriber.keys.card_key and subscriber.keys.card_key.startswith("cus_"):
            return subscriber.keys.card_key
        customer = self.api.request(
            route,
            self.api.v1.customers.create,
            params=customer_params(subscriber),
            idempotency_key=f"{idempotency_key}:customer" if idempotency_key else None,
        )
        return str(customer["id"])

    def payment_context(
        self,
        subscriber: Party,
        amount: int | None,
        currency: str | None,
        provider: Party,
        broker: Party,
        broker_fee_amount: int,
        idempotency_key: str | None,
        return_url: str | None = None,
    ) -> PaymentContext:
        values: dict[str, Any] = {"STRIPE_PUB_KEY": self.settings.PUB_KEY}
        if return_url:
            values["STRIPE_RETURN_URL"] = return_url  # confirmPayment's return_url, for redirects and challenges
        if self.settings.USE_STRIPE_V2 or amount == 0:
            return PaymentContext(values=values, token_field="stripeToken")
        cards = card_route(self.settings, broker)
        payments = charge_route(self.settings, provider, broker)
        if payments.account:
            # Stripe.js confirms a payment with a card Element made by a
            # Stripe instance on the intent's account: the page mounts its
            # Element on this one before it knows the amount.
            values["STRIPE_PAYMENT_ACCOUNT"] = payments.account
        if amount is None:
            customer = self._customer(subscriber, cards, idempotency_key)
            intent = self.api.request(
                cards,
                self.api.v1.setup_intents.create,
                params={"customer": customer, "usage": "off_session", **CARD_ONLY},
                idempotency_key=f"{idempotency_key}:setup" if idempotency_key else None,
            )
            route = cards
        else:
            route = payments
            params = intent_params(amount, currency or "", provider, broker_fee_amount, route, idempotency_key)
            if route.account == cards.account:
                # Only an intent on the card's account can keep the card for later.
                params["customer"] = self._customer(subscriber, cards, idempotency_key)
                params["setup_future_usage"] = "off_session"
            intent = self.api.request(
                route,
                self.api.v1.payment_intents.create,
                params=params,
                idempotency_key=f"{idempotency_key}:intent" if idempotency_key else None,
            )
        values["STRIPE_INTENT_SECRET"] = intent["client_secret"]
        if route.account:
            values["STRIPE_ACCOUNT"] = route.account
        return PaymentContext(values=values, token_field="stripeToken", reference=str(intent["id"]))

    # --- payments ----------------------------------------------------------

    def create_payment(self, request: PaymentRequest, reference: str | None) -> PaymentResult:
        token = request.token or ""
        route = charge_route(self.settings, request.provider, request.broker)
        if token.startswith("cus_"):
            if token != request.customer.keys.card_key:
                # Only the payer's own saved card: a customer id is no secret
                # worth charging someone else's card with.
                raise InvalidInput("the token names a card on file that is not this customer's: nothing was charged")
            return self._charge_customer(request, token)
        if token.startswith("pi_"):
            if reference and reference != token:
                raise ProcessorError("the PaymentIntent posted by the browser is not the one made for this charge")
            intent = self.api.request(
                route, self.api.v1.payment_intents.retrieve, token, params={"expand": ["latest_charge"]}
            )
            if not reference and (intent.get("metadata") or {}).get(IDEMPOTENCY_METADATA) != request.idempotency_key:
                # No intent stored for this charge: the one posted must have
                # been made for it (else any paid intent of the same amount —
                # another purchase's — would pay this one too).
                raise ProcessorError(f"PaymentIntent {token} was not made for this charge")
            return payment_result(intent, request.amount, request.currency, route.account)
        if not token:
            raise NoPaymentMethod(request.customer.slug)
        method = payment_method_id(self.api, route, token, request.idempotency_key)
        if reference and reference.startswith("pi_"):
            params: dict[str, Any] = {"payment_method": method, "expand": ["latest_charge"]}
            if request.return_url:
                params["return_url"] = request.return_url
            intent = self.api.request(
                route,
                self.api.v1.payment_intents.confirm,
                reference,
                params=params,
                idempotency_key=f"{request.idempotency_key}:confirm",
            )
            return payment_result(intent, request.amount, request.currency, route.account)
        params = self._request_params(request, route)
        params["payment_method"] = method
        if getattr(request, "save_card", False) and route.account == card_route(self.settings, request.broker).account:
            params["customer"] = self._customer(request.customer, route, request.idempotency_key)
            params["setup_future_usage"] = "off_session"
        return self._confirm_new(request, route, params)

    def _request_params(self, request: PaymentRequest, route: Route) -> dict[str, Any]:
        return intent_params(
            request.amount,
            request.currency,
            request.provider,
            request.broker_fee_amount,
            route,
            request.idempotency_key,
            descr=request.descr,
            stmt_descr=request.stmt_descr,
            metadata=request.metadata,
        )

    def _confirm_new(self, request: PaymentRequest, route: Route, params: dict[str, Any]) -> PaymentResult:
        params.update({"confirm": True, "expand": ["latest_charge"]})
        if request.off_session:
            params["off_session"] = True
        elif request.return_url:
            params["return_url"] = request.return_url
        try:
            intent = self.api.request(
                route, self.api.v1.payment_intents.create, params=params, idempotency_key=request.idempotency_key
            )
        except CardError as error:
            waiting = _unauthenticated_intent(error) if request.off_session else None
            if waiting is None:
                raise
            intent = waiting
            # Off session, the card wants its holder: the PaymentIntent waits for them to confirm it on session.
        return payment_result(intent, request.amount, request.currency, route.account)

    def create_charge(self, request: PaymentRequest) -> PaymentResult:
        card_key = request.customer.keys.card_key
        if not card_key:
            raise NoPaymentMethod(request.customer.slug)
        return self._charge_customer(request, card_key)

    def _charge_customer(self, request: PaymentRequest, customer_id: str) -> PaymentResult:
        cards = card_route(self.settings, request.broker)
        route = charge_route(self.settings, request.provider, request.broker)
        customer = self.api.request(cards, self.api.v1.customers.retrieve, customer_id)
        payment_method = (customer.get("invoice_settings") or {}).get("default_payment_method") or customer.get(
            "default_source"
        )
        if isinstance(payment_method, dict):
            payment_method = payment_method.get("id")
        if not payment_method:
            raise NoPaymentMethod(request.customer.slug)
        params = self._request_params(request, route)
        if route.account == cards.account:
            params.update({"customer": customer_id, "payment_method": payment_method})
        else:
            # The card lives on another account: clone it into the charge's account.
            clone = self.api.request(
                route,
                self.api.v1.payment_methods.create,
                params={"customer": customer_id, "payment_method": payment_method},
                idempotency_key=f"{request.idempotency_key}:clone",
            )
            params["payment_method"] = clone["id"]
        return self._confirm_new(request, route, params)
