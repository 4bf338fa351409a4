"""Webhooks: how they are verified and the normalized event, disputes included."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from .actions import NextAction
from .payments import Receipt

__all__ = ["DisputeInfo", "DisputeKind", "EventType", "WebhookEvent", "WebhookVerification"]


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
