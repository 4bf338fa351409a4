"""What the fake processor stores: plain mutable records, guarded by the
account's lock. Callers outside the processor only ever get copies."""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from .tokens import Behaviour

__all__ = ["Card", "Charge", "Customer", "Dispute", "Payout", "Refund"]


@dataclass
class Card:
    last4: str
    brand: str
    exp_date: date
    name: str
    #: How charges on this card behave (SUCCEED, MISMATCH, CHARGE_DECLINED).
    behaviour: Behaviour = Behaviour.SUCCEED


@dataclass
class Customer:
    id: str
    description: str
    email: str | None
    created: datetime
    card: Card | None = None


@dataclass
class Refund:
    id: str
    charge: str
    amount: int
    currency: str
    created: datetime
    broker_amount: int = 0
    idempotency_key: str | None = None
    status: str = "succeeded"  # or "failed" (the bank returned it)


@dataclass
class Dispute:
    id: str
    charge: str
    amount: int
    created: datetime
    status: str = "needs_response"  # then "won", "lost", "prevented" or "warning_closed"
    #: "chargeback" (money taken back), "inquiry" (a question, no money) or
    #: "pre_arbitration" (a second round after a chargeback)
    kind: str = "chargeback"
    fee: int = 0

    @property
    def holds_money(self) -> bool:
        return self.kind != "inquiry" and self.status in ("needs_response", "under_review", "lost")


@dataclass
class Charge:
    id: str
    amount: int
    currency: str
    status: str  # "succeeded", "failed", "requires_action" (actions.py) or "canceled"
    created: datetime
    idempotency_key: str | None
    source: str
    customer: str | None = None
    provider: str | None = None
    description: str | None = None
    statement_descriptor: str | None = None
    application_fee: int = 0
    metadata: dict[str, str] = field(default_factory=dict)
    failure_code: str | None = None
    failure_message: str | None = None
    card: Card | None = None
    amount_refunded: int = 0
    refunds: list[Refund] = field(default_factory=list)
    #: every dispute on the charge, oldest first (a pre-arbitration may follow a won chargeback)
    disputes: list[Dispute] = field(default_factory=list)

    @property
    def dispute(self) -> Dispute | None:
        """The latest dispute."""
        return self.disputes[-1] if self.disputes else None

    @property
    def disputed(self) -> bool:
        return any(d.holds_money for d in self.disputes)

    def __deepcopy__(self, memo: dict[int, Any]) -> Charge:
        """The fake answers every request with a copy (as a real processor
        answers with JSON: later changes to the record do not reach an
        answer already given). Written out because ``copy.deepcopy`` walks
        some sixty objects per charge, a tenth of a checkout's CPU: the
        nested records hold only immutable values, so copying each one
        shallowly is a deep copy."""
        clone = copy.copy(self)
        clone.metadata = dict(self.metadata)
        clone.card = copy.copy(self.card)
        clone.refunds = [copy.copy(refund) for refund in self.refunds]
        clone.disputes = [copy.copy(dispute) for dispute in self.disputes]
        return clone

    def snapshot(self) -> dict[str, Any]:
        """A plain dict of the charge, for the test backdoor."""
        data = asdict(self)
        data["disputed"] = self.disputed
        if self.card is not None:
            data["card"]["behaviour"] = self.card.behaviour.value
        return data


@dataclass
class Payout:
    id: str
    destination: str
    amount: int
    currency: str
    description: str
    created: datetime
    status: str = "paid"  # or "failed" (the bank returned it)
    idempotency_key: str | None = None
