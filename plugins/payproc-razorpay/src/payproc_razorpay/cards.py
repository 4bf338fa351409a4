"""Cards on file: a Razorpay Customer per subscriber and its saved tokens.

The subscriber's ``card_key`` is the customer id (``cust_…``). A card is
saved by a checkout made with that ``customer_id`` on a card-update order
(a small authorization Razorpay never captures and gives back) or on a
charge's order when the customer chose to save it; the payment then names
the new token (``token_id``). Such a payment is kept only for the subscriber
the order was opened for, and only if its card was saved on that
subscriber's own customer (:meth:`Cards.save_from_payment`).

Saving a card deletes nothing: the customer's other tokens — an e-mandate
or UPI Autopay registered elsewhere, an older card whose recurring mandate
is confirmed — stay. Charges use the newest *card* token whose ``recurring``
is true and whose ``recurring_details.status`` is ``confirmed``
(:meth:`Cards.recurring_token`); a new card takes over once Razorpay
confirms its mandate. ``delete_card`` deletes the customer's card tokens
only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from payproc.errors import CardError, InvalidInput, ProcessorError
from payproc.types import CardInfo, CardUpdate, Party

from .client import RazorpayClient
from .convert import card_info, token_is_usable

__all__ = ["Cards"]

LOGGER = logging.getLogger("payproc.razorpay")


def _is_card(token: Mapping[str, Any]) -> bool:
    return token.get("method", "card") == "card"


def _notes(entity: Mapping[str, Any]) -> Mapping[str, Any]:
    """An entity's ``notes`` (Razorpay answers ``[]`` when there are none)."""
    notes = entity.get("notes")
    return notes if isinstance(notes, Mapping) else {}


def _confirmed(token: Mapping[str, Any]) -> bool:
    details = token.get("recurring_details")
    return token.get("recurring") is True and isinstance(details, Mapping) and details.get("status") == "confirmed"


class Cards:
    def __init__(self, client: RazorpayClient) -> None:
        self.client = client

    def customer_for(self, subscriber: Party) -> Mapping[str, Any]:
        """The subscriber's Razorpay customer, created on first need (with
        the subscriber's phone as ``contact`` when known).

        ``fail_existing: 0`` makes Razorpay return the existing customer with
        the same email instead of failing.
        """
        client = self.client
        key = subscriber.keys.card_key
        if key and key.startswith("cust_"):
            return client.call(client.sdk.customer.fetch, key)
        data: dict[str, Any] = {
            "name": (subscriber.name or subscriber.slug)[:50],
            "fail_existing": "0",
            "notes": {"payproc_subscriber": subscriber.slug[:256]},
        }
        if subscriber.email:
            data["email"] = subscriber.email
        if subscriber.phone:
            data["contact"] = subscriber.phone
        return client.call(client.sdk.customer.create, data)

    def card_tokens(self, customer_id: str, provider: str | None = None) -> list[Mapping[str, Any]]:
        """The customer's card tokens that are still usable, newest first."""
        client = self.client
        found = client.call(client.sdk.token.all, customer_id, provider=provider)
        items = [token for token in found.get("items", []) if _is_card(token) and token_is_usable(token)]
        return sorted(items, key=lambda token: token.get("created_at", 0), reverse=True)

    def recurring_token(self, customer_id: str, provider: str | None = None) -> Mapping[str, Any] | None:
        """The token a recurring charge uses: the newest usable card token
        whose recurring mandate Razorpay has confirmed."""
        return next((token for token in self.card_tokens(customer_id, provider) if _confirmed(token)), None)

    @staticmethod
    def describe(token: Mapping[str, Any]) -> str:
        """``Visa ***-1111`` (for logs: never more than the last four)."""
        card = card_info(token)
        return f"{card.brand or 'card'} {card.masked() or '(no digits)'}"

    def kept_by(self, subscriber: Party, payment: Mapping[str, Any], provider: str | None = None) -> str | None:
        """The customer id to keep as ``subscriber``'s card on file after
        ``payment`` (``save_card``, the charge's own order): only when the
        payment saved a card token whose recurring mandate Razorpay
        confirmed — a card Checkout merely saved for the customer's next
        visit cannot be charged without them — on the subscriber's own
        Razorpay customer (their ``card_key``: the page gives Checkout no
        other, and a browser that gives another customer's is not believed)."""
        customer_id, token_id = payment.get("customer_id"), payment.get("token_id")
        if payment.get("status") not in ("authorized", "captured") or not customer_id or not token_id:
            LOGGER.warning("razorpay: payment %s saved no card; the card on file is unchanged", payment.get("id"))
            return None
        if not self.is_own_customer(subscriber, str(customer_id)):
            LOGGER.warning("razorpay: payment %s saved its card on a Razorpay customer that is not %s's; it is not "
                           "kept as the card on file", payment.get("id"), subscriber.slug)
            return None
        client = self.client
        token = client.call(client.sdk.token.fetch, customer_id, token_id, provider=provider)
        if not (_is_card(token) and _confirmed(token)):
            LOGGER.warning("razorpay: payment %s saved card token %s without a confirmed recurring mandate; "
                           "it is not kept as the card on file", payment.get("id"), token_id)
            return None
        return str(customer_id)

    def current_token(self, subscriber: Party) -> Mapping[str, Any] | None:
        """The card on file: the one charges use, else the newest card whose
        mandate Razorpay has not confirmed yet."""
        key = subscriber.keys.card_key
        if not key or not key.startswith("cust_"):
            return None
        tokens = self.card_tokens(key)
        return next((token for token in tokens if _confirmed(token)), tokens[0] if tokens else None)

    def delete_cards(self, customer_id: str) -> None:
        """Delete the customer's card tokens; other methods' tokens (an
        e-mandate, UPI Autopay) are not payproc's to delete."""
        client = self.client
        found = client.call(client.sdk.token.all, customer_id)
        for token in found.get("items", []):
            if _is_card(token):
                client.call(client.sdk.token.delete, customer_id, token["id"])

    def save_from_payment(
        self, subscriber: Party, payment: Mapping[str, Any], order: Mapping[str, Any] | None
    ) -> CardUpdate:
        """Keep the card a checkout payment saved as the card on file.

        A payment id is no secret and Checkout's options (``customer_id``
        among them) are the browser's, so the payment is bound to the
        subscriber by what only payproc wrote: its ``order`` (fetched from
        Razorpay by the payment's ``order_id``) must be one payproc opened
        for this subscriber (its notes name them), and the customer the card
        was saved on must be theirs (:meth:`is_own_customer`). Anything else
        is :class:`InvalidInput` before the card is read: another customer's
        payment would make their card this subscriber's card on file.
        """
        payment_id = payment.get("id")
        unchanged = "the card on file is unchanged"
        if order is None:
            raise InvalidInput(f"Razorpay payment {payment_id} has no order: a card is kept only from a payment "
                               f"on an order payproc opened for this customer (the card-update checkout); {unchanged}")
        owner = _notes(order).get("payproc_subscriber")
        if owner != subscriber.slug[:256]:
            where = "on another customer's order" if owner else "on an order not opened by payproc for this customer"
            raise InvalidInput(f"Razorpay payment {payment_id} was made {where}: {unchanged}")
        if payment.get("status") == "failed":
            raise CardError(
                str(payment.get("error_description") or "the card was declined"),
                str(payment.get("error_reason") or payment.get("error_code") or "card_declined"),
                charge_processor_key=payment_id,
            )
        customer_id, token_id = payment.get("customer_id"), payment.get("token_id")
        if not customer_id or not token_id:
            raise ProcessorError(
                f"Razorpay payment {payment_id} saved no card: pay through the card-update "
                "checkout (with customer_id and recurring) to put a card on file"
            )
        if not self.is_own_customer(subscriber, str(customer_id), order):
            raise InvalidInput(f"Razorpay payment {payment_id} saved its card on another customer's Razorpay "
                               f"customer: {unchanged}")
        client = self.client
        token = client.call(client.sdk.token.fetch, customer_id, token_id)
        return CardUpdate(card_key=customer_id, card=card_info(token))

    @staticmethod
    def is_own_customer(subscriber: Party, customer_id: str, order: Mapping[str, Any] | None = None) -> bool:
        """``customer_id`` is the subscriber's Razorpay customer: their
        ``card_key``, or the one payproc wrote in the notes of ``order``
        when it opened that card-update order for them (a subscriber with
        no card on file yet). The payment's own ``customer_id`` is what the
        browser gave Checkout and proves nothing."""
        if customer_id == subscriber.keys.card_key:
            return True
        notes = _notes(order or {})
        return notes.get("payproc_subscriber") == subscriber.slug[:256] and notes.get("payproc_customer") == customer_id

    def retrieve(self, subscriber: Party) -> CardInfo | None:
        token = self.current_token(subscriber)
        return card_info(token) if token is not None else None
