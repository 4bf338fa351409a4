"""Charges and refunds on the fake processor."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import actions
from .records import Card, Charge, Refund
from .tokens import TEST_BRAND, TEST_LAST4, TEST_NAME, Behaviour, card_expiry, read_token
from .wire import ApiError, NetworkFault, Server, new_id

__all__ = ["MINIMUM_AMOUNTS", "Charges", "minimum_amount"]

#: The smallest charge per currency, in minor units: Stripe's published
#: minimums (docs.stripe.com/currencies#minimum-and-maximum-charge-amounts),
#: which the fake takes as its own. Other currencies: 50 minor units.
MINIMUM_AMOUNTS: dict[str, int] = {
    "usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50, "czk": 1500,
    "dkk": 250, "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "inr": 50, "jpy": 50, "mxn": 1000,
    "myr": 200, "nok": 300, "nzd": 50, "pln": 200, "ron": 200, "sek": 300, "sgd": 50, "thb": 1000,
}


def minimum_amount(currency: str) -> int:
    """The fake processor's minimum charge in ``currency`` (minor units)."""
    return MINIMUM_AMOUNTS.get(currency.lower(), 50)


class Charges(Server):
    """Charges (``ch_fake_…``) and their refunds (``re_fake_…``)."""

    def create_charge(
        self,
        *,
        amount: int,
        currency: str,
        source: str,
        idempotency_key: str,
        provider: str | None = None,
        description: str | None = None,
        statement_descriptor: str | None = None,
        application_fee: int = 0,
        metadata: dict[str, str] | None = None,
    ) -> Charge:
        """Charge a token (``tok_…``) or a customer's card (``cus_fake_…``)."""
        behaviour = read_token(source).behaviour if source.startswith("tok_") else None
        if behaviour is Behaviour.UNREACHABLE:
            raise NetworkFault("unreachable", done=False)

        def action() -> Charge:
            actions.refuse_if_canceled(self, idempotency_key)
            minimum = minimum_amount(currency)
            if amount < minimum:
                raise ApiError(400, "amount_too_small",
                               f"Amount must be at least {minimum} {currency} (minor units)")
            card = self._card_for(source)
            charge = Charge(
                id=new_id("ch"), amount=amount, currency=currency, status="succeeded",
                created=self.clock(), idempotency_key=idempotency_key, source=source,
                customer=source if source.startswith("cus_") else None, provider=provider,
                description=description, statement_descriptor=statement_descriptor,
                application_fee=application_fee, metadata=dict(metadata or {}), card=card,
            )
            if card.behaviour is Behaviour.MISMATCH:
                charge.amount = amount + 1
            decline = read_token(source) if behaviour is Behaviour.DECLINE else None
            if card.behaviour is Behaviour.CHARGE_DECLINED:
                decline = read_token("tok_decline")
            self._charges[charge.id] = charge
            if behaviour in (Behaviour.CHALLENGE, Behaviour.CHALLENGE_REDIRECT) or (
                    card.behaviour is Behaviour.AUTH_REQUIRED and source.startswith("cus_")):
                actions.open_challenge(self, charge, redirect=behaviour is Behaviour.CHALLENGE_REDIRECT)
            if decline is not None:
                charge.status, charge.failure_code = "failed", decline.code
                charge.failure_message = decline.message
                raise ApiError(402, decline.code or "card_declined", decline.message or "declined", charge=charge.id)
            return charge

        params = (amount, currency, source, provider, application_fee)
        charge, replayed = self._request(
            "create_charge", action, key=idempotency_key, params=params, find=self._charges.__getitem__
        )
        if behaviour is Behaviour.TIMEOUT and not replayed:
            raise NetworkFault("timeout", done=True)
        return charge

    def _card_for(self, source: str) -> Card:
        """The card a charge source stands for (under the lock)."""
        if source.startswith("cus_"):
            customer = self._customers.get(source)
            if customer is None:
                raise ApiError(402, "card_absent", f"No such customer: {source}")
            if customer.card is None:
                raise ApiError(402, "card_absent", f"Customer {source} has no card on file")
            return customer.card
        return self._card_from_token(source)

    def _card_from_token(self, token: str) -> Card:
        info = read_token(token)
        if info.behaviour is Behaviour.UNKNOWN:
            raise ApiError(400, "resource_missing", "No such token: the fake processor did not issue it")
        if info.behaviour is Behaviour.PROCESSOR_ERROR:
            raise ApiError(400, "processing_error", "The fake processor refused the request (tok_processor_error)")
        if info.behaviour is Behaviour.SETUP_ERROR:
            raise ApiError(401, "invalid_api_key", "Invalid API key provided")
        if info.behaviour is Behaviour.REVOKED:
            raise ApiError(401, "api_key_revoked", "The API key was revoked")
        kept = (Behaviour.MISMATCH, Behaviour.CHARGE_DECLINED, Behaviour.AUTH_REQUIRED)
        keep = info.behaviour if info.behaviour in kept else Behaviour.SUCCEED
        return Card(TEST_LAST4, TEST_BRAND, card_expiry(self.clock().date()), TEST_NAME, keep)

    def retrieve_charge(self, charge_id: str) -> Charge | None:
        """The charge with that id, or ``None`` (a 404)."""
        charge, _ = self._request("retrieve_charge", lambda: self._charges.get(charge_id))
        return charge

    def find_charge(self, idempotency_key: str) -> Charge | None:
        """The charge made with ``idempotency_key``, or ``None``."""

        def action() -> Charge | None:
            for charge in self._charges.values():
                if charge.idempotency_key == idempotency_key:
                    return charge
            return None

        charge, _ = self._request("retrieve_charge", action)
        return charge

    def refund(self, charge_id: str, amount: int, *, broker_amount: int = 0, idempotency_key: str) -> Refund:
        """Refund part of a charge; never more than what is left of it."""
        refund, _ = self._request(
            "refund", lambda: self._make_refund(charge_id, amount, broker_amount, idempotency_key),
            key=idempotency_key, params=(charge_id, amount, broker_amount), find=self._refunds.__getitem__,
        )
        return refund

    def _make_refund(self, charge_id: str, amount: int, broker_amount: int, idempotency_key: str | None) -> Refund:
        """The refund itself (under the lock): a request's, or one the
        processor makes by itself (its dashboard), which no fault touches."""
        charge = self._charges.get(charge_id)
        if charge is None:
            raise ApiError(404, "resource_missing", f"No such charge: {charge_id}")
        if charge.status != "succeeded":
            raise ApiError(400, "charge_not_refundable", f"Charge {charge_id} did not succeed; nothing to refund")
        left = charge.amount - charge.amount_refunded
        if amount <= 0 or amount > left:
            raise ApiError(
                400, "amount_too_large",
                f"Refund amount {amount} is not between 1 and the {left} left on charge {charge_id}",
            )
        refund = Refund(new_id("re"), charge_id, amount, charge.currency, self.clock(), broker_amount,
                        idempotency_key=idempotency_key)
        charge.amount_refunded += amount
        charge.refunds.append(refund)
        self._refunds[refund.id] = refund
        return refund

    def retrieve_refund(self, refund_id: str | None = None, *, idempotency_key: str | None = None) -> Refund | None:
        """The refund with that id, else the one made with
        ``idempotency_key``, or ``None`` (a 404)."""

        return self._lookup("retrieve_refund", self._refunds, refund_id, idempotency_key)

    def list_payments(self, since: datetime, until: datetime) -> list[Charge]:
        """Charges created in ``[since, until)``, oldest first."""
        charges, _ = self._request("list_payments", lambda: sorted(
            (c for c in self._charges.values() if since <= c.created < until), key=lambda c: c.created))
        return charges

    def list_charges(self, idempotency_key: str | None = None) -> list[dict[str, Any]]:
        """Backdoor for tests: every charge, oldest first, as plain dicts (no
        faults, no latency, not counted as a request)."""
        with self._lock:
            return [
                charge.snapshot()
                for charge in self._charges.values()
                if idempotency_key is None or charge.idempotency_key == idempotency_key
            ]

