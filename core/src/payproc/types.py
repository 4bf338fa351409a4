"""The values that cross the backend contract.

Backends receive plain, immutable snapshots (never ORM objects) and return
these small dataclasses. Amounts are integers in the currency's minor unit and
currencies lower-case ISO 4217 codes (see :mod:`payproc.money`). Secrets are
:class:`pydantic.SecretStr` so that no ``repr`` or log line shows them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import SecretStr

__all__ = [
    "BankInfo",
    "BrowserIntegration",
    "CardInfo",
    "CardUpdate",
    "ChargeInfo",
    "ChargeRef",
    "ChargeStatus",
    "CustomerRecord",
    "Distribution",
    "EventType",
    "Party",
    "PaymentContext",
    "PaymentRequest",
    "PaymentResult",
    "ProcessorKeys",
    "Receipt",
    "RefundResult",
    "TransferRecord",
    "WebhookEvent",
]


@dataclass(frozen=True, slots=True)
class ProcessorKeys:
    """A profile's identifiers on the processor.

    ``card_key`` is the customer (or token) that holds the card on file,
    ``deposit_key`` the connected account that receives payouts; ``pub_key``,
    ``priv_key`` and ``refresh_token`` are a connected account's own keys
    (Stripe Connect OAuth).
    """

    card_key: str | None = None
    deposit_key: str | None = None
    pub_key: str | None = None
    priv_key: SecretStr | None = None
    refresh_token: SecretStr | None = None


@dataclass(frozen=True, slots=True)
class Party:
    """Snapshot of a profile (an organization) in one role of a payment:
    subscriber (who pays), provider (who sells), broker (who runs the
    marketplace)."""

    slug: str
    printable_name: str = ""
    email: str | None = None
    keys: ProcessorKeys = field(default_factory=ProcessorKeys)
    is_broker: bool = False

    @property
    def name(self) -> str:
        return self.printable_name or self.slug


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a receipt shows of the card. Never more than the last four digits."""

    last4: str | None = None
    exp_date: date | None = None
    card_name: str | None = None
    brand: str | None = None


class ChargeStatus(str, enum.Enum):
    """A charge as the processor sees it."""

    PENDING = "pending"  # authorized or processing; not money yet
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    NOT_FOUND = "not_found"  # the processor has no such charge


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """One payment to make, for ``create_payment`` (with ``token``) and
    ``create_charge`` (card on file: ``customer.keys.card_key``).

    ``idempotency_key`` is stable for the charge: a retry of the same charge
    sends the same key, so the processor never charges twice. Backends must
    pass it to the processor unchanged.
    """

    amount: int
    currency: str
    customer: Party
    provider: Party
    broker: Party
    idempotency_key: str
    token: str | None = None
    descr: str | None = None
    stmt_descr: str | None = None
    broker_fee_amount: int = 0
    metadata: Mapping[str, str] = field(default_factory=dict)
    #: Other fields the browser posted next to the token (e.g.
    #: ``razorpay_signature``). Never card data: the core refuses that.
    browser_fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PaymentResult:
    """The processor's answer to a payment.

    ``amount`` and ``currency`` are what the processor says it charged; the
    core compares them with the request and refuses to mark the charge done on
    any mismatch. ``status`` is ``SUCCEEDED`` or ``PENDING`` (settled later).
    ``card_key`` is set when the payment left a reusable card on file.
    """

    processor_key: str
    amount: int
    currency: str
    created_at: datetime
    status: ChargeStatus = ChargeStatus.SUCCEEDED
    receipt: Receipt = field(default_factory=Receipt)
    card_key: str | None = None


@dataclass(frozen=True, slots=True)
class ChargeRef:
    """A charge the core already knows, for ``retrieve_charge``,
    ``refund_charge``, ``charge_distribution``."""

    processor_key: str | None
    amount: int
    currency: str
    idempotency_key: str
    created_at: datetime
    customer: Party
    provider: Party
    broker: Party
    amount_refunded: int = 0
    broker_fee_amount: int = 0
    #: The server-side handle the backend returned in the payment context
    #: (order id, tx_ref), as the core stored it.
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class ChargeInfo:
    """The processor's current view of a charge (``retrieve_charge``)."""

    processor_key: str | None
    status: ChargeStatus
    amount: int = 0
    currency: str = ""
    amount_refunded: int = 0
    created_at: datetime | None = None
    receipt: Receipt = field(default_factory=Receipt)
    failure_code: str | None = None
    failure_message: str | None = None
    disputed: bool = False


@dataclass(frozen=True, slots=True)
class RefundResult:
    """A refund the processor accepted."""

    processor_key: str
    amount: int
    currency: str
    created_at: datetime
    broker_fee_refunded: int = 0


@dataclass(frozen=True, slots=True)
class Distribution:
    """How a charge splits: ``distribute_amount`` goes to the provider,
    ``processor_fee_amount`` to the processor and ``broker_fee_amount`` to the
    broker. After refunds, each is what remains."""

    distribute_amount: int
    distribute_unit: str
    processor_fee_amount: int
    processor_fee_unit: str
    broker_fee_amount: int = 0
    broker_fee_unit: str = ""

    def as_tuple(self) -> tuple[int, str, int, str, int, str]:
        """The seed's 6-tuple."""
        return (
            self.distribute_amount,
            self.distribute_unit,
            self.processor_fee_amount,
            self.processor_fee_unit,
            self.broker_fee_amount,
            self.broker_fee_unit or self.distribute_unit,
        )


@dataclass(frozen=True, slots=True)
class CardInfo:
    """The card on file, as shown to its owner."""

    last4: str | None = None
    exp_date: date | None = None
    card_name: str | None = None
    brand: str | None = None

    def masked(self) -> str:
        return f"***-{self.last4}" if self.last4 else ""


@dataclass(frozen=True, slots=True)
class CardUpdate:
    """Result of ``create_or_update_card``: the key to store as the
    subscriber's ``card_key`` and what the card looks like."""

    card_key: str
    card: CardInfo = field(default_factory=CardInfo)


@dataclass(frozen=True, slots=True)
class TransferRecord:
    """A payout to a provider's bank account."""

    processor_key: str
    amount: int
    currency: str
    created_at: datetime
    description: str = ""
    status: str = "paid"


@dataclass(frozen=True, slots=True)
class BankInfo:
    """The provider's deposit account, as shown to its owner."""

    bank_name: str
    last4: str = ""
    balance_amount: int | None = None
    balance_unit: str | None = None


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    """A customer on the processor (``list_customers``)."""

    processor_key: str
    description: str = ""
    email: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentContext:
    """What the browser needs to turn a card into a token.

    ``values`` is passed to the page as is (public key, intent client secret,
    order id…); none of it may be a secret. ``token_field`` names the form
    field that carries the token back (``stripeToken``,
    ``razorpay_payment_id``…). ``reference`` is a server-side handle the
    backend wants back in ``create_payment`` (an order id, a ``tx_ref``); the
    core stores it with the charge and never takes it from the browser.
    """

    values: Mapping[str, Any]
    token_field: str = "processor_token"
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class BrowserIntegration:
    """How a checkout page talks to the processor's JavaScript."""

    token_field: str
    script_urls: tuple[str, ...] = ()
    notes: str = ""


class EventType(str, enum.Enum):
    """Normalized webhook events. Backends map their processor's event names to
    these; anything else is ``IGNORED`` (acknowledged, changes nothing)."""

    CHARGE_SUCCEEDED = "charge.succeeded"
    CHARGE_FAILED = "charge.failed"
    CHARGE_CAPTURED = "charge.captured"
    CHARGE_REFUNDED = "charge.refunded"
    REFUND_FAILED = "refund.failed"
    DISPUTE_CREATED = "dispute.created"
    DISPUTE_UPDATED = "dispute.updated"
    DISPUTE_WON = "dispute.won"
    DISPUTE_LOST = "dispute.lost"
    TRANSFER_PAID = "transfer.paid"
    IGNORED = "ignored"


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """A verified processor callback.

    ``event_id`` is the processor's id for the delivery (de-duplication key).
    ``charge_processor_key`` names the charge it is about. ``amount`` is the
    refund or dispute amount when the event carries one (for refunds: the
    amount of *this* refund; ``refund_processor_key`` identifies it so a
    refund the core already made is not applied twice).
    """

    event_id: str
    type: EventType
    created_at: datetime
    charge_processor_key: str | None = None
    amount: int | None = None
    currency: str | None = None
    refund_processor_key: str | None = None
    receipt: Receipt | None = None
    processor_type: str = ""
    livemode: bool = False
