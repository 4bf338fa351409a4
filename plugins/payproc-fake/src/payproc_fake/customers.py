"""Customers and their card on file on the fake processor."""

from __future__ import annotations

import re

from .records import Customer
from .tokens import Behaviour, read_token
from .wire import ApiError, NetworkFault, Server, new_id

__all__ = ["Customers"]


class Customers(Server):

    def save_card(self, token: str, *, customer_id: str | None, description: str, email: str | None) -> Customer:
        """Attach the card behind ``token`` to a customer, created when
        ``customer_id`` is ``None`` or unknown. A declined card stores
        nothing."""
        info = read_token(token)
        if info.behaviour is Behaviour.UNREACHABLE:
            raise NetworkFault("unreachable", done=False)

        def action() -> Customer:
            if info.behaviour is Behaviour.DECLINE:
                raise ApiError(402, info.code or "card_declined", info.message or "declined")
            card = self._card_from_token(token)
            customer = self._customers.get(customer_id or "")
            if customer is None:
                customer = Customer(new_id("cus"), description, email, self.clock())
                self._customers[customer.id] = customer
            customer.card = card
            return customer

        customer, _ = self._request("save_card", action)
        if info.behaviour is Behaviour.TIMEOUT:
            raise NetworkFault("timeout", done=True)
        return customer

    def retrieve_customer(self, customer_id: str) -> Customer | None:
        customer, _ = self._request("retrieve_customer", lambda: self._customers.get(customer_id))
        return customer

    def detach_card(self, customer_id: str) -> None:
        """Forget the customer's card (an unknown customer is no error)."""

        def action() -> None:
            customer = self._customers.get(customer_id)
            if customer is not None:
                customer.card = None

        self._request("detach_card", action)

    def list_customers(self, pattern: str) -> list[Customer]:
        """Customers whose description matches the regular expression."""
        regex = re.compile(pattern)
        customers, _ = self._request(
            "list_customers",
            lambda: [c for c in self._customers.values() if regex.search(c.description)],
        )
        return customers

