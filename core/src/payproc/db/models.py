"""The tables payproc owns.

Amounts are integers in minor units next to their lower-case currency code.
Secrets (a connected account's private key and refresh token) are stored as
the processor issued them — the database is the application's to protect —
but no ``repr`` shows them.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timezone
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Table,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

SCHEMA_VERSION = 2


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every database (SQLite drops tzinfo)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: payproc stores UTC-aware datetimes only")
        return value

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, int: BigInteger}


def table_of(model: type[Base]) -> Table:
    """A model's table, typed (``__table__`` is a ``FromClause`` to type
    checkers): for the Core statements the hot paths build once."""
    return cast(Table, model.__table__)


class State(str, enum.Enum):
    """A row's state: compares, formats and prints as its stored value
    (``str(ChargeState.DONE) == "done"`` on every Python), so a state read
    back from the database and one the flows just wrote look the same."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class ChargeState(State):
    """Where a charge stands. ``awaiting``, ``requires_action`` and
    ``created`` are in progress; nothing in progress is ever marked failed
    on a guess."""

    #: A payment context was issued; the customer has not tried to pay yet
    #: and still may. Expired only once the processor says it can no longer
    #: be paid.
    AWAITING = "awaiting"
    #: The customer must act (3-D Secure, a redirect): ``next_action``.
    REQUIRES_ACTION = "requires_action"
    CREATED = "created"  # attempted; not (yet) known to have succeeded
    DONE = "done"
    FAILED = "failed"
    #: An abandoned context, cancelled at the processor.
    EXPIRED = "expired"
    DISPUTED = "disputed"
    LOST = "lost"  # dispute lost: the money went back to the card holder


#: States in which the processor may still take the customer's money.
IN_PROGRESS_STATES: tuple[str, ...] = (ChargeState.AWAITING, ChargeState.REQUIRES_ACTION, ChargeState.CREATED)


class Profile(Base):
    """An organization in one or more roles: processor, broker, provider,
    subscriber."""

    __tablename__ = "payproc_profile"
    __table_args__ = (Index("ix_payproc_profile_renewal_due", "renewal_due"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    printable_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    processor_card_key: Mapped[str | None] = mapped_column(String(255), default=None)
    processor_deposit_key: Mapped[str | None] = mapped_column(String(255), default=None)
    processor_pub_key: Mapped[str | None] = mapped_column(String(255), default=None)
    processor_priv_key: Mapped[str | None] = mapped_column(String(255), default=None)
    processor_refresh_token: Mapped[str | None] = mapped_column(String(255), default=None)
    #: E.164, for processors that need it (Razorpay recurring payments)
    phone: Mapped[str | None] = mapped_column(String(16), default=None)
    nb_renewal_attempts: Mapped[int] = mapped_column(Integer, default=0)
    renewal_amount: Mapped[int | None] = mapped_column(BigInteger, default=None)
    renewal_currency: Mapped[str | None] = mapped_column(String(3), default=None)
    renewal_due: Mapped[date | None] = mapped_column(Date, default=None)
    #: a renewal worker claimed this renewal until then (PostgreSQL batches, payproc.claims)
    renewal_lease_until: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Profile {self.slug!r}>"


class ChargeRow(Base):
    """A charge: from ``customer`` to ``provider`` through the processor."""

    __tablename__ = "payproc_charge"
    __table_args__ = (Index("ix_payproc_charge_state", "state", "lease_until"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("payproc_profile.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("payproc_profile.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    broker_fee_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    state: Mapped[str] = mapped_column(String(16), default=ChargeState.CREATED)
    processor_key: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    #: server-side handle from the payment context (order id, tx_ref)
    reference: Mapped[str | None] = mapped_column(String(255), default=None)
    amount_refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    last4: Mapped[str | None] = mapped_column(String(4), default=None)
    exp_date: Mapped[date | None] = mapped_column(Date, default=None)
    card_name: Mapped[str | None] = mapped_column(String(200), default=None)
    brand: Mapped[str | None] = mapped_column(String(32), default=None)
    description: Mapped[str] = mapped_column(String(400), default="")
    failure_code: Mapped[str | None] = mapped_column(String(64), default=None)
    #: the worker that holds the lease calls the processor; others wait
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    #: what the customer must do (``NextAction.as_dict()``), in requires_action
    next_action: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    #: money moved in a way the core did not expect; a person should look
    needs_review: Mapped[bool] = mapped_column(default=False, server_default=false())
    review_reason: Mapped[str | None] = mapped_column(String(400), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    customer: Mapped[Profile] = relationship(foreign_keys=[customer_id], lazy="raise")
    provider: Mapped[Profile] = relationship(foreign_keys=[provider_id], lazy="raise")

    @property
    def amount_left(self) -> int:
        return self.amount - self.amount_refunded

    def __repr__(self) -> str:
        return f"<Charge {self.id} {self.amount} {self.currency} {self.state}>"


class RefundState(State):
    PENDING = "pending"  # asked of the processor; answer not recorded yet
    DONE = "done"
    FAILED = "failed"


class RefundRow(Base):
    __tablename__ = "payproc_refund"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    charge_id: Mapped[int] = mapped_column(ForeignKey("payproc_charge.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    broker_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    state: Mapped[str] = mapped_column(String(16), default=RefundState.PENDING)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    processor_key: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    failure_code: Mapped[str | None] = mapped_column(String(64), default=None)
    #: when settle last asked the processor about this (pending) refund
    last_checked_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DisputeState(State):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class DisputeRow(Base):
    __tablename__ = "payproc_dispute"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: a charge may be disputed more than once (a pre-arbitration after a
    #: won chargeback); each dispute is one row, named by the processor
    charge_id: Mapped[int] = mapped_column(ForeignKey("payproc_charge.id"), index=True)
    processor_key: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    kind: Mapped[str] = mapped_column(String(32), default="chargeback", server_default="chargeback")
    state: Mapped[str] = mapped_column(String(16), default=DisputeState.OPEN)
    amount: Mapped[int] = mapped_column(BigInteger)
    fee: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TransferState(State):
    PENDING = "pending"  # asked of the processor (or in transit); not settled
    PAID = "paid"
    FAILED = "failed"  # the processor or the bank refused it; booking reversed


class TransferRow(Base):
    """A payout to a provider's bank. Recorded with its idempotency key before
    the processor is asked, so a retry or a lost answer never pays twice."""

    __tablename__ = "payproc_transfer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("payproc_profile.id"), index=True)
    processor_key: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    state: Mapped[str] = mapped_column(String(16), default=TransferState.PAID, server_default="paid")
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(String(400), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookEventRow(Base):
    """A verified processor callback. The unique (backend, event_id) pair is
    what makes a redelivery a no-op."""

    __tablename__ = "payproc_webhook_event"
    __table_args__ = (
        UniqueConstraint("backend", "event_id", name="uq_payproc_webhook_event"),
        Index("ix_payproc_webhook_pending", "charge_processor_key", "applied"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    backend: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(64))
    charge_processor_key: Mapped[str | None] = mapped_column(String(255), default=None)
    amount: Mapped[int | None] = mapped_column(BigInteger, default=None)
    currency: Mapped[str | None] = mapped_column(String(3), default=None)
    #: False while the charge it names is not known yet (webhook before checkout)
    applied: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: what else the verified event said (dispute figures, refund and payout
    #: keys, receipt, the charge's reference), so an event kept until its
    #: charge is known is applied with everything the processor reported
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    #: the charge's payment-context handle the event names (an order id)
    charge_reference: Mapped[str | None] = mapped_column(String(255), default=None)


class LedgerRow(Base):
    """One double-entry transaction, as in djaodjin-saas: ``amount`` moves from
    the ``orig`` account to the ``dest`` account. Accounts are named by
    profile and account kind (``Funds``, ``Liability``, ``Backlog``…)."""

    __tablename__ = "payproc_ledger"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    descr: Mapped[str] = mapped_column(String(400), default="")
    event_id: Mapped[str | None] = mapped_column(String(255), index=True, default=None)
    orig_profile_id: Mapped[int] = mapped_column(ForeignKey("payproc_profile.id"))
    orig_account: Mapped[str] = mapped_column(String(32))
    orig_amount: Mapped[int] = mapped_column(BigInteger)
    orig_unit: Mapped[str] = mapped_column(String(3))
    dest_profile_id: Mapped[int] = mapped_column(ForeignKey("payproc_profile.id"))
    dest_account: Mapped[str] = mapped_column(String(32))
    dest_amount: Mapped[int] = mapped_column(BigInteger)
    dest_unit: Mapped[str] = mapped_column(String(3))
    charge_id: Mapped[int | None] = mapped_column(ForeignKey("payproc_charge.id"), index=True, default=None)


class RateLimitRow(Base):
    """A rate limit shared by every process on the database (payproc.ratelimit):
    the earliest time the next call may start, on the database's clock."""

    __tablename__ = "payproc_rate_limit"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    next_at: Mapped[datetime] = mapped_column()


class WebhookInboxRow(Base):
    """A verified webhook event kept for a task to apply later (deferred
    intake, payproc.integrations.celery): ``event`` is the backend's parsed
    :class:`~payproc.types.WebhookEvent` as JSON; ``processed_at`` is set in
    the transaction that applies it, so it is applied once."""

    __tablename__ = "payproc_webhook_inbox"
    __table_args__ = (UniqueConstraint("backend", "event_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    backend: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(255))
    event: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(default=None)
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)
