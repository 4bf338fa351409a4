"""Cards on file: a Razorpay Customer per subscriber and its saved tokens.

The subscriber's ``card_key`` is the customer id (``cust_…``). A card is
saved by a checkout made with that ``customer_id`` on a card-update order
(a small authorization Razorpay never captures and gives back); the payment
then names the new token (``token_id``). One card is kept on file: when a new
token is saved, the customer's other tokens are deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from payproc.errors import CardError, ProcessorError
from payproc.types import CardInfo, CardUpdate, Party

from .client import RazorpayClient
from .convert import card_info, token_is_usable

__all__ = ["Cards"]


class Cards:
    def __init__(self, client: RazorpayClient) -> None:
        self.client = client

    def customer_for(self, subscriber: Party) -> Mapping[str, Any]:
        """The subscriber's Razorpay customer, created on first need.

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
        return client.call(client.sdk.customer.create, data)

    def tokens(self, customer_id: str) -> list[Mapping[str, Any]]:
        """The customer's usable card tokens, newest first."""
        client = self.client
        found = client.call(client.sdk.token.all, customer_id)
        items = [token for token in found.get("items", []) if token_is_usable(token)]
        return sorted(items, key=lambda token: token.get("created_at", 0), reverse=True)

    def current_token(self, subscriber: Party) -> Mapping[str, Any] | None:
        key = subscriber.keys.card_key
        if not key or not key.startswith("cust_"):
            return None
        tokens = self.tokens(key)
        return tokens[0] if tokens else None

    def delete_all(self, customer_id: str, keep: str | None = None) -> None:
        client = self.client
        found = client.call(client.sdk.token.all, customer_id)
        for token in found.get("items", []):
            if token.get("id") != keep:
                client.call(client.sdk.token.delete, customer_id, token["id"])

    def save_from_payment(self, subscriber: Party, payment: Mapping[str, Any], order: Mapping[str, Any]) -> CardUpdate:
        """Keep the card a checkout payment saved as the card on file."""
        if payment.get("status") == "failed":
            raise CardError(
                str(payment.get("error_description") or "the card was declined"),
                str(payment.get("error_reason") or payment.get("error_code") or "card_declined"),
                charge_processor_key=payment.get("id"),
            )
        owner = (order.get("notes") or {}).get("payproc_subscriber") if isinstance(order.get("notes"), Mapping) else None
        if owner and owner != subscriber.slug:
            raise ProcessorError(
                f"Razorpay payment {payment.get('id')} was made to save a card for another profile"
            )
        customer_id, token_id = payment.get("customer_id"), payment.get("token_id")
        if not customer_id or not token_id:
            raise ProcessorError(
                f"Razorpay payment {payment.get('id')} saved no card: pay through the card-update "
                "checkout (with customer_id and recurring) to put a card on file"
            )
        client = self.client
        token = client.call(client.sdk.token.fetch, customer_id, token_id)
        self.delete_all(customer_id, keep=token_id)
        old = subscriber.keys.card_key
        if old and old != customer_id and old.startswith("cust_"):
            self.delete_all(old)
        return CardUpdate(card_key=customer_id, card=card_info(token))

    def retrieve(self, subscriber: Party) -> CardInfo | None:
        token = self.current_token(subscriber)
        return card_info(token) if token is not None else None
