"""A payment: the browser's context, the request, the processor's answer, the stored
charge as backends see it and its split."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from .actions import NextAction
from .parties import Party

__all__ = [
    "BrowserIntegration",
    "ChargeInfo",
    "ChargeRef",
    "ChargeStatus",
    "Distribution",
    "PaymentContext",
    "PaymentRequest",
    "PaymentResult",
    "Receipt",
]


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
