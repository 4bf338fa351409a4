"""Story: the card on file — a Razorpay Customer and its recurring tokens.

Hooks: ``create_or_update_card``, ``delete_card``, ``retrieve_card``; the
work is in :mod:`.cards`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from payproc import hookimpl
from payproc.errors import ProcessorError

from ._base import BackendBase

if TYPE_CHECKING:
    from payproc.types import CardInfo, CardUpdate, Party

__all__ = ["CardHooks"]


class CardHooks(BackendBase):
    @hookimpl
    def create_or_update_card(self, subscriber: Party, token: str, provider: Party, broker: Party) -> CardUpdate:
        """Keep the card a checkout payment (``pay_…``) saved, if the
        payment is on an order payproc opened for ``subscriber`` and saved
        its card on their Razorpay customer (else ``InvalidInput``, nothing
        changed: a payment id is no secret); the customer's other tokens
        stay."""
        from .cards import Cards
        from .payments import Payments

        if not token or not token.startswith("pay_"):
            raise ProcessorError("a Razorpay card is saved from a checkout payment id (pay_…)")
        client = self.client
        payment = Payments(client).fetch(token, provider.slug)
        order = client.call(client.sdk.order.fetch, payment["order_id"]) if payment.get("order_id") else None
        return Cards(client).save_from_payment(subscriber, payment, order)

    @hookimpl
    def delete_card(self, subscriber: Party, broker: Party) -> None:
        from .cards import Cards

        key = subscriber.keys.card_key
        if key and key.startswith("cust_"):
            Cards(self.client).delete_cards(key)

    @hookimpl
    def retrieve_card(self, subscriber: Party, broker: Party) -> CardInfo | None:
        from .cards import Cards

        return Cards(self.client).retrieve(subscriber)
