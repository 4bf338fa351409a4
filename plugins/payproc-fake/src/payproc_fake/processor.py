"""The simulated processor "server".

A real processor lives in another process: its state survives an application
restart, two application processes see the same charges, and a request can
take effect even when its answer never arrives. The fake keeps that shape:
accounts live in a process-wide registry keyed by the ``ACCOUNT`` setting,
so a new backend instance (an app "restart" in a test) finds the charges the
previous one made. Every account has a lock; all state changes happen under
it.

The backend talks to an :class:`Account` only through its public methods,
which answer copies of records or raise :class:`ApiError` (what an HTTP error
answer would carry) or :class:`NetworkFault` (no answer at all). Mapping
those to payproc's errors is the backend's job, as for a real processor.

Faults for reliability tests, queued with :meth:`Account.fail_next`:

* ``"unreachable"``: the request never arrives; nothing is done.
* ``"unavailable"``: the processor answers 503; nothing is done.
* ``"timeout"``: the request is carried out, then the answer is lost.

Tests reset the registry with :func:`reset` and read an account's charges
through the backdoor :meth:`Account.list_charges`.
"""

from __future__ import annotations

import copy
import re
import secrets
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, TypeVar

from .records import Card, Charge, Customer, Dispute, Payout, Refund
from .tokens import TEST_BRAND, TEST_LAST4, TEST_NAME, Behaviour, card_expiry, read_token

__all__ = [
    "FAULT_KINDS",
    "Account",
    "ApiError",
    "NetworkFault",
    "get_account",
    "reset",
]

FAULT_KINDS = ("unreachable", "timeout", "unavailable")

T = TypeVar("T")


class ApiError(Exception):
    """An error answer from the processor: ``status`` is its HTTP status
    (402 card declined, 401 bad key, 400 refused, 404 unknown), ``code`` its
    machine-readable reason, ``charge`` the failed charge's id if any."""

    def __init__(self, status: int, code: str, message: str, *, charge: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.charge = charge


class NetworkFault(Exception):
    """No answer reached the caller. ``done`` tells (the fake knows, a real
    caller would not) whether the request took effect."""

    def __init__(self, kind: str, *, done: bool) -> None:
        super().__init__(f"fake processor: {kind}")
        self.kind = kind
        self.done = done


def _new_id(prefix: str) -> str:
    return f"{prefix}_fake_{secrets.token_hex(12)}"


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Account:
    """One account on the fake processor, with everything it holds."""

    def __init__(self, name: str) -> None:
        self.name = name
        #: Returns the processor's current time; tests may replace it.
        self.clock: Callable[[], datetime] = _utcnow
        #: Secret the processor signs webhooks with (set by the backend's
        #: ``configure`` when it has a ``WEBHOOK_SECRET``).
        self.webhook_secret: str | None = None
        #: Every request that reached the processor, by operation name, in
        #: order (``requests.count("create_charge")``).
        self.requests: list[str] = []
        self._lock = threading.RLock()
        self._faults: list[tuple[str, str | None]] = []
        self._charges: dict[str, Charge] = {}
        self._idempotency: dict[str, tuple[tuple[Any, ...], str | ApiError]] = {}
        self._refunds: dict[str, Refund] = {}
        self._customers: dict[str, Customer] = {}
        self._payouts: dict[str, Payout] = {}
        self._banks: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"<fake processor account {self.name!r}: {len(self._charges)} charges>"

    # --- faults ---------------------------------------------------------------

    def fail_next(self, *kinds: str, operation: str | None = None) -> None:
        """Queue faults for the next requests, in order (one per request).
        With ``operation`` (``"create_charge"``, ``"refund"``,
        ``"retrieve_charge"``…), they wait for a request of that kind."""
        for kind in kinds:
            if kind not in FAULT_KINDS:
                raise ValueError(f"unknown fault {kind!r}: expected one of {', '.join(FAULT_KINDS)}")
        with self._lock:
            self._faults.extend((kind, operation) for kind in kinds)

    def pending_faults(self) -> list[str]:
        with self._lock:
            return [kind for kind, _ in self._faults]

    def _take_fault(self, operation: str) -> str | None:
        with self._lock:
            for index, (kind, target) in enumerate(self._faults):
                if target is None or target == operation:
                    del self._faults[index]
                    return kind
        return None

    def _request(
        self,
        operation: str,
        action: Callable[[], T],
        *,
        key: str | None = None,
        params: tuple[Any, ...] = (),
        find: Callable[[str], T] | None = None,
    ) -> tuple[T, bool]:
        """Run ``action`` as one request: faults first, then the idempotency
        index (same key and params: the first answer again; other params:
        refused). Returns the result and whether it was a replay."""
        fault = self._take_fault(operation)
        if fault == "unreachable":
            raise NetworkFault("unreachable", done=False)
        if fault == "unavailable":
            raise ApiError(503, "unavailable", "the fake processor is unavailable (503)")
        with self._lock:
            self.requests.append(operation)
            replayed = False
            stored = self._idempotency.get(key) if key is not None else None
            if stored is not None:
                stored_params, outcome = stored
                if stored_params != (operation, *params):
                    raise ApiError(400, "idempotency_error", "idempotency key reused with different parameters")
                if isinstance(outcome, ApiError):
                    raise outcome
                assert find is not None
                result, replayed = find(outcome), True
            else:
                try:
                    result = action()
                except ApiError as error:
                    if key is not None and error.status == 402:
                        self._idempotency[key] = ((operation, *params), error)
                    raise
                if key is not None:
                    self._idempotency[key] = ((operation, *params), getattr(result, "id", ""))
            result = copy.deepcopy(result)
        if fault == "timeout":
            raise NetworkFault("timeout", done=True)
        return result, replayed

    # --- charges --------------------------------------------------------------

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
            card = self._card_for(source)
            charge = Charge(
                id=_new_id("ch"), amount=amount, currency=currency, status="succeeded",
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
        keep = info.behaviour if info.behaviour in (Behaviour.MISMATCH, Behaviour.CHARGE_DECLINED) else Behaviour.SUCCEED
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

        def action() -> Refund:
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
            refund = Refund(_new_id("re"), charge_id, amount, charge.currency, self.clock(), broker_amount)
            charge.amount_refunded += amount
            charge.refunds.append(refund)
            self._refunds[refund.id] = refund
            return refund

        refund, _ = self._request(
            "refund", action, key=idempotency_key, params=(charge_id, amount, broker_amount),
            find=self._refunds.__getitem__,
        )
        return refund

    def list_charges(self, idempotency_key: str | None = None) -> list[dict[str, Any]]:
        """Backdoor for tests: every charge, oldest first, as plain dicts (no
        faults, no latency, not counted as a request)."""
        with self._lock:
            return [
                charge.snapshot()
                for charge in self._charges.values()
                if idempotency_key is None or charge.idempotency_key == idempotency_key
            ]

    # --- customers and cards ---------------------------------------------------

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
                customer = Customer(_new_id("cus"), description, email, self.clock())
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

    # --- payouts and banks ------------------------------------------------------

    def create_payout(
        self, destination: str, amount: int, currency: str, description: str, *, idempotency_key: str
    ) -> Payout:
        def action() -> Payout:
            if amount <= 0:
                raise ApiError(400, "amount_invalid", f"Payout amount must be positive, got {amount}")
            payout = Payout(_new_id("po"), destination, amount, currency, description, self.clock())
            self._payouts[payout.id] = payout
            return payout

        payout, _ = self._request(
            "create_payout", action, key=idempotency_key, params=(destination, amount, currency),
            find=self._payouts.__getitem__,
        )
        return payout

    def list_payouts(self, destination: str, since: datetime) -> list[Payout]:
        """Payouts to ``destination`` created at or after ``since``, oldest first."""
        payouts, _ = self._request(
            "list_payouts",
            lambda: sorted(
                (p for p in self._payouts.values() if p.destination == destination and p.created >= since),
                key=lambda p: p.created,
            ),
        )
        return payouts

    def balance(self, provider: str, destination: str) -> dict[str, int]:
        """What the provider's account holds, per currency: its share of the
        charges made for it, less the payouts to ``destination``."""
        from .fees import split

        def action() -> dict[str, int]:
            totals: dict[str, int] = {}
            for charge in self._charges.values():
                if charge.provider == provider and charge.status == "succeeded":
                    net, _, _ = split(charge.amount, charge.amount_refunded, charge.application_fee)
                    totals[charge.currency] = totals.get(charge.currency, 0) + net
            for payout in self._payouts.values():
                if payout.destination == destination:
                    totals[payout.currency] = totals.get(payout.currency, 0) - payout.amount
            return totals

        totals, _ = self._request("retrieve_balance", action)
        return totals

    def attach_bank(self, destination: str, bank_token: str) -> str:
        """Attach a bank account (token ``btok_…``); returns its last 4 digits."""

        def action() -> str:
            if not bank_token.startswith("btok_") or bank_token == "btok_invalid":
                raise ApiError(400, "resource_missing", "No such bank account token")
            digits = "".join(char for char in bank_token if char.isdigit())
            last4 = digits[-4:] if len(digits) >= 4 else "6789"
            self._banks[destination] = last4
            return last4

        last4, _ = self._request("attach_bank", action)
        return last4

    def bank_last4(self, destination: str) -> str | None:
        last4, _ = self._request("retrieve_bank", lambda: self._banks.get(destination))
        return last4

    # --- events the processor sends by itself -------------------------------------

    def _signed(self, event_type: Any, charge_id: str, secret: str | None, **data: Any) -> tuple[bytes, dict[str, str]]:
        from .webhooks import build_event

        secret = secret or self.webhook_secret
        if not secret:
            raise ValueError(f"account {self.name!r} has no webhook secret: configure WEBHOOK_SECRET or pass secret=")
        return build_event(event_type, charge_id, secret=secret, timestamp=int(self.clock().timestamp()), **data)

    def open_dispute(
        self, charge_id: str, *, amount: int | None = None, secret: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """The cardholder disputes ``charge_id``: mark it and return the signed
        ``dispute.created`` event the processor would send."""
        from payproc.types import EventType

        with self._lock:
            charge = self._charges[charge_id]
            dispute = Dispute(_new_id("dp"), charge_id, charge.amount if amount is None else amount, self.clock())
            charge.dispute = dispute
        return self._signed(
            EventType.DISPUTE_CREATED, charge_id, secret, amount=dispute.amount, currency=charge.currency
        )

    def close_dispute(self, charge_id: str, *, won: bool, secret: str | None = None) -> tuple[bytes, dict[str, str]]:
        """Settle the charge's dispute; return the signed won/lost event."""
        from payproc.types import EventType

        with self._lock:
            charge = self._charges[charge_id]
            if charge.dispute is None:
                raise ValueError(f"charge {charge_id} has no dispute")
            charge.dispute.status = "won" if won else "lost"
            amount = charge.dispute.amount
        event_type = EventType.DISPUTE_WON if won else EventType.DISPUTE_LOST
        return self._signed(event_type, charge_id, secret, amount=amount, currency=charge.currency)

    def refund_from_dashboard(
        self, charge_id: str, amount: int | None = None, *, secret: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """A refund made outside the application (the processor's
        dashboard): do it and return the signed ``charge.refunded`` event."""
        from payproc.types import EventType

        with self._lock:
            charge = self._charges[charge_id]
            left = charge.amount - charge.amount_refunded
        refund = self.refund(charge_id, left if amount is None else amount, idempotency_key=_new_id("dash"))
        return self._signed(
            EventType.CHARGE_REFUNDED, charge_id, secret, amount=refund.amount, currency=refund.currency,
            refund=refund.id,
        )


_REGISTRY: dict[str, Account] = {}
_REGISTRY_LOCK = threading.Lock()


def get_account(name: str = "acct_fake") -> Account:
    """The account called ``name``, created on first use; shared by every
    backend instance of the process that names it."""
    with _REGISTRY_LOCK:
        account = _REGISTRY.get(name)
        if account is None:
            account = _REGISTRY[name] = Account(name)
        return account


def reset(name: str | None = None) -> None:
    """Forget one account (or all of them): for tests."""
    with _REGISTRY_LOCK:
        if name is None:
            _REGISTRY.clear()
        else:
            _REGISTRY.pop(name, None)
