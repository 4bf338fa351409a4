"""Webhook intake: the backend verifies, the core de-duplicates and applies.

A delivery is stored (unique per backend and event id) in the same
transaction that applies it, so a redelivery — even a concurrent one — is a
no-op, and a failure to apply rolls the record back so the processor's next
delivery tries again. An event about a charge whose checkout has not
committed yet is kept, unapplied, and applied by that checkout's commit.
Events may arrive in any order: each transition brings the charge to the
state the event implies (a refund or dispute on a charge still in progress
first records its success).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db.models import ChargeRow, ChargeState, WebhookEventRow, table_of
from ..errors import CardError, IntegrityMismatch
from ..types import ChargeStatus, EventType, PaymentResult, Receipt, WebhookEvent
from . import _common as common
from . import actions, disputes, refunds, transfers
from .event_details import event_details, stored_event

if TYPE_CHECKING:
    from .context import FlowContext


@dataclass(frozen=True)
class WebhookOutcome:
    """What happened to a verified delivery: ``applied`` (state changed or
    confirmed), ``duplicate`` (seen before), ``pending`` (its charge is not
    known yet; kept), ``ignored`` (an event payproc does not act on)."""

    event_id: str
    type: str
    status: str
    charge_id: int | None = None


def handle_webhook(app: FlowContext, body: bytes, headers: Mapping[str, str]) -> WebhookOutcome:
    """Verify ``body`` with the backend and apply it once.

    Raises :class:`~payproc.errors.WebhookVerificationError` (answer 400)
    when the signature does not hold; any other exception means the event
    was not stored (answer 5xx so the processor delivers it again).
    """
    return apply_verified(app, verify_webhook(app, body, headers))


def verify_webhook(app: FlowContext, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
    """The backend's verified reading of ``body`` (raises
    :class:`~payproc.errors.WebhookVerificationError` when it does not hold)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    event: WebhookEvent = app.backend.call("parse_webhook", body=body, headers=lowered)
    return event


def apply_verified(app: FlowContext, event: WebhookEvent) -> WebhookOutcome:
    """Store a verified ``event`` and apply it once (a duplicate is a no-op):
    the second half of :func:`handle_webhook`, which a deferred intake runs
    later in a task (:mod:`payproc.webhook_inbox`)."""
    with app.db.transaction() as session:
        if event.charge_processor_key:
            app.db.lock_key(session, event.charge_processor_key)
        row = WebhookEventRow(
            backend=app.backend.name, event_id=event.event_id, type=event.type.value,
            charge_processor_key=event.charge_processor_key, amount=event.amount, currency=event.currency,
            details=event_details(event), charge_reference=event.charge_reference,
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            return WebhookOutcome(event.event_id, event.type.value, "duplicate")
        if event.type in transfers.TRANSFER_EVENTS:
            known = transfers.apply_transfer_event(app, session, event)
            row.applied = True
            return WebhookOutcome(event.event_id, event.type.value, "applied" if known else "ignored")
        if event.type == EventType.IGNORED or not event.charge_processor_key:
            row.applied = True
            return WebhookOutcome(event.event_id, event.type.value, "ignored")
        charge = _charge_named(app, session, event.charge_processor_key, event.charge_reference)
        if charge is None:
            common.LOGGER.info("webhook %s: charge %s not known yet; kept for later",
                               event.event_id, event.charge_processor_key)
            return WebhookOutcome(event.event_id, event.type.value, "pending")
        apply_event(app, session, charge, event)
        row.applied = True
        return WebhookOutcome(event.event_id, event.type.value, "applied", charge.id)


def _charge_named(app: FlowContext, session: Session, key: str, reference: str | None = None) -> ChargeRow | None:
    """The charge an event names: by its processor key or, before the
    customer paid, by the server-side handle its payment context returned
    (a PaymentIntent or order id kept as ``reference``): the event's own
    key when the processor uses one handle throughout, or the order the
    event's payment was made on (``WebhookEvent.charge_reference``)."""
    charge: ChargeRow | None = session.scalar(app.db.for_update(select(ChargeRow).where(ChargeRow.processor_key == key)))
    for handle in (key, reference):
        if charge is not None or not handle:
            break
        charge = session.scalar(app.db.for_update(
            select(ChargeRow).where(ChargeRow.reference == handle, ChargeRow.processor_key.is_(None))
            .order_by(ChargeRow.id).limit(1)))
    return charge


_EVENTS = table_of(WebhookEventRow)
#: Built once: every successful checkout asks whether events wait for it.
_ANY_PENDING = select(_EVENTS.c.id).where(
    _EVENTS.c.charge_processor_key == bindparam("key"), _EVENTS.c.applied.is_(False)).limit(1)
_PENDING_EVENTS = (select(WebhookEventRow)
                   .where(WebhookEventRow.charge_processor_key == bindparam("key"),
                          WebhookEventRow.applied.is_(False))
                   .order_by(WebhookEventRow.id))


def apply_pending_events(app: FlowContext, session: Session, processor_key: str) -> None:
    """Apply the events that arrived before their charge was known."""
    if session.connection().execute(_ANY_PENDING, {"key": processor_key}).first() is None:
        return  # the common case, answered without loading ORM objects
    rows = session.scalars(_PENDING_EVENTS, {"key": processor_key}).all()
    charge_id = session.scalar(select(ChargeRow.id).where(ChargeRow.processor_key == processor_key))
    if charge_id is None:
        return
    charge = common.lock_charge(app, session, charge_id)
    for row in rows:
        apply_event(app, session, charge, stored_event(row, processor_key))
        row.applied = True


def apply_event(app: FlowContext, session: Session, charge: ChargeRow, event: WebhookEvent) -> None:
    """Bring ``charge`` to the state ``event`` implies."""
    kind = event.type
    if kind in (EventType.CHARGE_SUCCEEDED, EventType.CHARGE_CAPTURED):
        _ensure_succeeded(app, session, charge, event.receipt, event.amount, event.currency,
                          event.charge_processor_key)
    elif kind == EventType.CHARGE_FAILED:
        # An attempt failed. An ``awaiting`` charge stays: the customer may
        # still pay (another card on the same order or intent).
        attempted = (ChargeState.CREATED, ChargeState.REQUIRES_ACTION)
        if charge.state in attempted:
            common.record_failure(session, charge, "charge_failed", None, states=attempted)
        elif charge.state not in (ChargeState.FAILED, ChargeState.AWAITING):
            common.LOGGER.warning("webhook %s: charge %s is %s; a late failure notice is ignored",
                                  event.event_id, charge.id, charge.state)
    elif kind == EventType.CHARGE_REQUIRES_ACTION:
        if charge.state in common.OPEN_STATES:
            charge.state = ChargeState.REQUIRES_ACTION
            charge.processor_key = charge.processor_key or event.charge_processor_key
            if event.next_action is not None:
                charge.next_action = actions.next_action_json(event.next_action)
    elif kind == EventType.CHARGE_AUTHORIZED:
        _capture(app, session, charge, event)
    elif kind == EventType.CHARGE_CANCELED:
        common.record_failure(session, charge, "canceled", None, states=common.OPEN_STATES, to=ChargeState.EXPIRED)
    elif kind == EventType.CHARGE_REFUNDED:
        _ensure_succeeded(app, session, charge, event.receipt, None, None)
        refunds.sync_external_refunds(app, session, charge, event)
    elif kind == EventType.REFUND_FAILED:
        refunds.refund_failed(app, session, charge, event.refund_processor_key)
    elif kind in disputes.DISPUTE_EVENTS:
        _ensure_succeeded(app, session, charge, event.receipt, None, None)
        disputes.apply_dispute_event(app, session, charge, event)


def _ensure_succeeded(
    app: FlowContext, session: Session, charge: ChargeRow, receipt: Receipt | None,
    amount: int | None, currency: str | None, processor_key: str | None = None,
) -> None:
    """Book the charge's success unless it is already booked. A charge that
    had failed or expired is booked too (money received wins) and flagged
    for review."""
    if charge.state not in common.OPEN_STATES and charge.state not in common.CLOSED_STATES:
        return
    if (amount is not None and amount != charge.amount) or (currency and currency.lower() != charge.currency):
        common.flag_for_review(session, charge, f"the processor reports {amount} {currency} paid for a charge "
                                                f"of {charge.amount} {charge.currency}; not booked")
        return
    customer, provider, broker, roles = common.charge_parties(app, session, charge)
    ref = common.charge_ref(charge, customer, provider, broker)
    if receipt is None:
        info = app.backend.call_optional("retrieve_charge", charge=ref)
        if info is not None and info.status != ChargeStatus.SUCCEEDED:
            return
        receipt = info.receipt if info is not None else Receipt()
    dist = common.distribution(app, ref, 0)
    key = charge.processor_key or processor_key or ""
    previous = common.record_success(app, session, charge, key, receipt, dist, roles)
    if previous in common.CLOSED_STATES:
        common.announce_review(app, charge, ref, charge.review_reason or "late success")


def _capture(app: FlowContext, session: Session, charge: ChargeRow, event: WebhookEvent) -> None:
    """An authorization the processor refunds unless it is captured in time
    (Razorpay's manual-capture orders): capture it now and book the success.
    A backend without ``capture_charge`` captures on its own or settles it
    through ``retrieve_charge``. An unknown outcome propagates, so the event
    is not stored and the processor delivers it again."""
    if charge.state not in common.OPEN_STATES:
        common.LOGGER.warning("webhook %s: charge %s is %s; its authorization is not captured (the processor "
                              "returns an uncaptured authorization to the customer)", event.event_id, charge.id,
                              charge.state)
        return
    if not app.backend.supports("capture_charge"):
        return
    customer, provider, broker, _roles = common.charge_parties(app, session, charge)
    ref = replace(common.charge_ref(charge, customer, provider, broker),
                  processor_key=charge.processor_key or event.charge_processor_key)
    try:
        result: PaymentResult = app.backend.call("capture_charge", charge=ref)
    except (CardError, IntegrityMismatch) as error:
        common.flag_for_review(session, charge, f"authorization {event.charge_processor_key} not captured: {error}")
        return
    if result.status == ChargeStatus.SUCCEEDED:
        _ensure_succeeded(app, session, charge, result.receipt, result.amount, result.currency, result.processor_key)
