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
    "ActionKind",
    "BankInfo",
    "BrowserIntegration",
    "CardInfo",
    "CardUpdate",
    "ChargeInfo",
    "ChargeRef",
    "ChargeStatus",
    "CustomerRecord",
    "DisputeInfo",
    "DisputeKind",
    "Distribution",
    "EventType",
    "NextAction",
    "Party",
    "PaymentContext",
    "PaymentRequest",
    "PaymentResult",
    "ProcessorKeys",
    "Receipt",
    "RefundInfo",
    "RefundRef",
    "RefundResult",
    "RefundStatus",
    "TransferRecord",
    "TransferRef",
    "TransferStatus",
    "WebhookEvent",
    "WebhookVerification",
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
    #: E.164 (``+919876543210``), validated by the core; some processors
    #: require it for recurring payments (Razorpay's ``contact``). (1.1)
    phone: str | None = None

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
    """A charge as the processor sees it.

    Only ``FAILED`` and ``CANCELED`` say the customer can no longer pay;
    ``NOT_FOUND`` says the processor never received the attempt. The other
    answers leave the charge in progress: the customer may still pay.
    """

    PENDING = "pending"  # authorized or processing; not money yet
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    NOT_FOUND = "not_found"  # the processor has no such charge
    #: A payment context exists at the processor (an unconfirmed
    #: PaymentIntent, an order with no payment) and the customer has not
    #: tried to pay yet; they still may. (1.1)
    AWAITING_CUSTOMER = "awaiting_customer"
    #: The customer must act (3-D Secure, a redirect, an OTP): see
    #: ``next_action``. (1.1)
    REQUIRES_ACTION = "requires_action"
    #: The processor says this payment can no longer be made (a cancelled
    #: intent, an expired order). (1.1)
    CANCELED = "canceled"


class ActionKind(str, enum.Enum):
    """How the customer is brought to act on a payment (1.1)."""

    #: Send the customer's browser to ``NextAction.url``; they come back to
    #: the return URL and the core calls ``complete_payment``.
    REDIRECT = "redirect"
    #: The processor's own browser script finishes the payment in the page
    #: (Stripe.js ``confirmCardPayment``, Razorpay Checkout, Flutterwave
    #: inline) with ``NextAction.values``.
    SCRIPT = "script"


@dataclass(frozen=True, slots=True)
class NextAction:
    """What the customer must do to finish a payment (1.1).

    ``values`` go to the browser as they are (a client secret, an order id):
    none of them may be a server secret.
    """

    kind: ActionKind
    url: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    expires_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (stored with the charge, sent to the page)."""
        return {
            "kind": self.kind.value,
            "url": self.url,
            "values": dict(self.values),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NextAction:
        expires = data.get("expires_at")
        return cls(
            kind=ActionKind(data["kind"]),
            url=data.get("url"),
            values=dict(data.get("values") or {}),
            expires_at=datetime.fromisoformat(expires) if expires else None,
        )


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
    #: True only when the customer is not there to act (renewals, charges on
    #: the card on file made by the application). A customer-present payment
    #: must not be flagged off-session: that is what lets the processor ask
    #: for 3-D Secure instead of declining. (1.1)
    off_session: bool = False
    #: Where the customer's browser comes back after a redirect or a
    #: challenge; the core's return endpoint for this charge. (1.1)
    return_url: str | None = None
    #: Keep the card this payment is made with on file, as part of the same
    #: processor charge (``checkout(token, remember_card=True)``), and return
    #: its key in ``PaymentResult.card_key``. A backend that can declares
    #: ``saves_card_with_payment = True`` (the suite then requires the key);
    #: one that cannot makes the payment alone. The core never saves a token
    #: first and then charges the saved card: with processors whose browser
    #: token is itself a payment, that charged twice (one purchase, one charge). (1.1)
    save_card: bool = False


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
    #: With ``status`` ``REQUIRES_ACTION``: what the customer must do. (1.1)
    next_action: NextAction | None = None


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
    #: With ``status`` ``REQUIRES_ACTION``: what the customer must do. (1.1)
    next_action: NextAction | None = None
    #: The key the charge was made with, when the processor keeps it
    #: (``list_payments`` answers, matched by reconciliation). (1.1)
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class RefundResult:
    """A refund the processor accepted."""

    processor_key: str
    amount: int
    currency: str
    created_at: datetime
    broker_fee_refunded: int = 0


class RefundStatus(str, enum.Enum):
    """A refund as the processor sees it (1.1)."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    NOT_FOUND = "not_found"  # the processor never received the request


@dataclass(frozen=True, slots=True)
class RefundRef:
    """A refund the core asked for, for ``retrieve_refund`` (1.1).

    ``processor_key`` is ``None`` when the answer to ``refund_charge`` was
    never seen: find the refund by ``idempotency_key`` (backends keep it with
    the refund, in metadata or notes, when the processor has no idempotency
    of its own).
    """

    charge: ChargeRef
    idempotency_key: str
    amount: int
    created_at: datetime
    processor_key: str | None = None


@dataclass(frozen=True, slots=True)
class RefundInfo:
    """The processor's view of one refund (``retrieve_refund``) (1.1)."""

    status: RefundStatus
    processor_key: str | None = None
    amount: int = 0
    currency: str = ""
    created_at: datetime | None = None


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


class TransferStatus(str, enum.Enum):
    """A payout as the processor sees it (1.1)."""

    PENDING = "pending"  # created, in transit
    PAID = "paid"
    FAILED = "failed"  # the bank returned it: the money is back
    CANCELED = "canceled"


@dataclass(frozen=True, slots=True)
class TransferRecord:
    """A payout to a provider's bank account.

    ``status`` is a :class:`TransferStatus` value (a plain string in 1.0).
    ``idempotency_key`` is the key the payout was made with, when the
    processor keeps it (1.1).
    """

    processor_key: str
    amount: int
    currency: str
    created_at: datetime
    description: str = ""
    status: str = "paid"
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class TransferRef:
    """A payout the core asked for, for ``retrieve_transfer`` (1.1).

    ``processor_key`` is ``None`` when the answer to ``create_transfer`` was
    never seen: find the payout by ``idempotency_key``.
    """

    provider: Party
    idempotency_key: str
    amount: int
    currency: str
    created_at: datetime
    processor_key: str | None = None


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
    #: A hosted or redirect checkout (PayPal's approve link, Flutterwave's
    #: ``/v3/payments`` link): the page sends the customer there instead of
    #: asking for a token; the return comes back to ``complete_payment``. (1.1)
    next_action: NextAction | None = None


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
    # 1.1
    CHARGE_AUTHORIZED = "charge.authorized"  # authorized, to be captured
    CHARGE_PENDING = "charge.pending"  # processing (asynchronous methods)
    CHARGE_REQUIRES_ACTION = "charge.requires_action"
    CHARGE_CANCELED = "charge.canceled"  # can no longer be paid
    DISPUTE_CLOSED = "dispute.closed"  # closed with no money moving (inquiry, warning)
    TRANSFER_FAILED = "transfer.failed"


class DisputeKind(str, enum.Enum):
    """What a dispute is, which decides whether money moves (1.1)."""

    #: Money is taken back from the merchant while the dispute is open.
    CHARGEBACK = "chargeback"
    #: A question or early warning (Stripe ``warning_*``, a retrieval
    #: request): no money moves unless it becomes a chargeback.
    INQUIRY = "inquiry"
    #: A second round after a chargeback was decided (Razorpay
    #: pre-arbitration, an appeal): money may move again.
    PRE_ARBITRATION = "pre_arbitration"


@dataclass(frozen=True, slots=True)
class DisputeInfo:
    """The processor's own figures for one dispute (1.1).

    ``amount`` is what is disputed (partial disputes exist) and ``fee`` the
    processor's dispute fee, both in ``currency``, when the processor says;
    ``None`` leaves the core's fallback (what is left of the charge, the
    ``dispute_fee`` hook).
    """

    processor_key: str
    kind: DisputeKind = DisputeKind.CHARGEBACK
    status: str = ""
    amount: int | None = None
    currency: str | None = None
    fee: int | None = None


class WebhookVerification(str, enum.Enum):
    """How a backend proves a webhook came from its processor (1.1); a
    backend class declares it as ``webhook_verification``."""

    #: A shared secret signs each delivery; without ``WEBHOOK_SECRET`` every
    #: webhook is refused (fail closed).
    SIGNED = "signed"
    #: The processor signs nothing: ``parse_webhook`` reads the object back
    #: from the processor with the API key before anything changes, so a
    #: forged body can only repeat what the processor says anyway.
    FETCH = "fetch"


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
    #: Dispute events: the processor's figures for this dispute. (1.1)
    dispute: DisputeInfo | None = None
    #: Payout events (``TRANSFER_PAID``, ``TRANSFER_FAILED``). (1.1)
    transfer_processor_key: str | None = None
    #: ``CHARGE_REQUIRES_ACTION``: what the customer must do. (1.1)
    next_action: NextAction | None = None
    #: The server-side handle the charge's payment context returned (an
    #: order id), when the event names a payment the core has not seen yet:
    #: a payment made on an order before the customer's browser came back is
    #: found by it. (1.1)
    charge_reference: str | None = None
