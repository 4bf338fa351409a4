"""The customer's side of a purchase after the checkout post: where it
stands (:func:`poll`), and finishing a payment the customer had to act on.

A checkout page keeps one idempotency key per purchase. When the answer was
not final (the processor's answer was lost, or it is still processing), the
page polls the purchase by that key instead of paying again; the poll asks
the processor about a charge no worker is holding, so a purchase settles even
when nobody runs ``payproc settle``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select, update

from ..db.models import ChargeRow, ChargeState, Profile
from ..errors import CardError, IntegrityMismatch, InvalidInput, OutcomeUnknown
from ..guards import refuse_card_data
from ..types import ChargeInfo, ChargeRef, ChargeStatus, NextAction, PaymentResult, Receipt
from . import _common as common

if TYPE_CHECKING:
    from .context import FlowContext

__all__ = ["abandon_if_old", "charge_for_key", "complete", "expire", "poll", "record_unfinished", "result_of"]


def charge_for_key(app: FlowContext, idempotency_key: str, *, customer: str | None = None) -> ChargeRow:
    """The charge recorded for ``idempotency_key`` (of ``customer`` when
    given). Raises ``LookupError`` when there is none, and for another
    customer's key (the same answer: a key names nothing it does not own)."""
    with app.db.transaction() as session:
        query = select(ChargeRow).where(ChargeRow.idempotency_key == idempotency_key)
        if customer is not None:
            query = query.join(Profile, Profile.id == ChargeRow.customer_id).where(Profile.slug == customer)
        charge = session.scalar(query)
    if charge is None:
        raise LookupError(f"no purchase {idempotency_key!r}")
    return charge


def poll(app: FlowContext, idempotency_key: str, *, customer: str | None = None) -> ChargeRow:
    """Where the purchase ``idempotency_key`` stands. A charge attempted
    whose outcome is unknown (``created``, no worker holding it) is settled
    with the processor first; an answer that is still unknown leaves it as
    it is."""
    from .outcome import settle_charge

    charge = charge_for_key(app, idempotency_key, customer=customer)
    if charge.state == ChargeState.CREATED and (charge.lease_until is None or charge.lease_until < common.now()):
        try:
            settle_charge(app, charge)
        except (OutcomeUnknown, IntegrityMismatch) as error:
            common.LOGGER.info("purchase %s: still unknown (%s)", charge.id, type(error).__name__)
        charge = common.read_charge(app, charge.id)
    return charge


# --- recording what the processor says about an unfinished charge -------------


def next_action_json(action: NextAction | None) -> dict[str, Any] | None:
    """A next action as stored with the charge (and shown to the page)."""
    return action.as_dict() if action is not None else None


def result_of(info: ChargeInfo) -> PaymentResult:
    """The processor's view of a charge (``retrieve_charge``,
    ``cancel_payment``) as a payment answer."""
    return PaymentResult(
        processor_key=info.processor_key or "", amount=info.amount, currency=info.currency,
        created_at=info.created_at or common.now(), status=info.status, receipt=info.receipt or Receipt(),
        next_action=info.next_action,
    )


def _announce(app: FlowContext, charge: ChargeRow, state: str, previous: str) -> None:
    with app.db.transaction() as session:
        customer, provider, broker, _roles = common.charge_parties(app, session, charge)
    app.backend.notify("charge_updated", charge=common.charge_ref(charge, customer, provider, broker),
                       state=state, previous_state=previous)


def record_unfinished(app: FlowContext, charge: ChargeRow, result: PaymentResult) -> ChargeRow:
    """Record an answer that is not a success: the customer must act
    (``requires_action``, with the next action kept on the charge), the
    processor cancelled it (``expired``), it failed (an attempted charge
    only), or it is still processing (unchanged). Releases the lease."""
    previous = str(getattr(charge.state, "value", charge.state))
    key = result.processor_key or None
    if result.status == ChargeStatus.CANCELED:
        _expire(app, charge, "canceled", key)
        return common.read_charge(app, charge.id)
    with app.db.transaction() as session:
        changed = False
        if result.status == ChargeStatus.REQUIRES_ACTION:
            changed = bool(common.rowcount(session.execute(
                update(ChargeRow)
                .where(ChargeRow.id == charge.id, ChargeRow.state.in_(common.OPEN_STATES))
                .values(state=ChargeState.REQUIRES_ACTION, next_action=next_action_json(result.next_action),
                        processor_key=key or ChargeRow.processor_key, lease_until=None, updated_at=common.now())
                .execution_options(synchronize_session=False))))
            changed = changed and previous != ChargeState.REQUIRES_ACTION
        elif result.status == ChargeStatus.FAILED:
            changed = common.record_failure(session, charge, "failed", key,
                                            states=(ChargeState.CREATED, ChargeState.REQUIRES_ACTION))
        session.execute(update(ChargeRow).where(ChargeRow.id == charge.id)
                        .values(lease_until=None, processor_key=key or ChargeRow.processor_key)
                        .execution_options(synchronize_session=False))
    charge = common.read_charge(app, charge.id)
    if changed:
        _announce(app, charge, str(getattr(charge.state, "value", charge.state)), previous)
    return charge


def _expire(app: FlowContext, charge: ChargeRow, code: str, processor_key: str | None = None,
            states: tuple[str, ...] = common.OPEN_STATES) -> bool:
    previous = str(getattr(charge.state, "value", charge.state))
    with app.db.transaction() as session:
        changed = common.record_failure(session, charge, code, processor_key, states=states,
                                        to=ChargeState.EXPIRED)
    if changed:
        _announce(app, charge, ChargeState.EXPIRED.value, previous)
    return changed


def expire(app: FlowContext, charge: ChargeRow, code: str) -> bool:
    """The processor says ``charge`` can no longer be paid: ``expired``."""
    return _expire(app, charge, code)


#: What an abandoned charge may be (not one a checkout has just attempted).
ABANDONED = (ChargeState.AWAITING, ChargeState.REQUIRES_ACTION)


def abandon_if_old(app: FlowContext, charge: ChargeRow, ref: ChargeRef, info: ChargeInfo) -> bool:
    """Expire a charge the customer left (``awaiting`` or
    ``requires_action`` for longer than ``ABANDON_AFTER``) — but only once
    nothing can pay it any more: the backend's ``cancel_payment`` says
    ``canceled`` (or reports the payment made: then it is booked), or no
    context exists at the processor at all (no processor key, no reference:
    only this core's checkout could pay it, and it refuses an expired key).
    True if the charge changed."""
    if charge.state not in (ChargeState.AWAITING, ChargeState.REQUIRES_ACTION):
        return False
    if common.now() - charge.created_at < app.settings.ABANDON_AFTER:
        return False
    if app.backend.supports("cancel_payment"):
        canceled: ChargeInfo = app.backend.call("cancel_payment", charge=ref)
        if canceled.status == ChargeStatus.SUCCEEDED:
            from .outcome import record_result

            return record_result(app, charge, result_of(canceled)).state == ChargeState.DONE
        if canceled.status == ChargeStatus.CANCELED:
            return _expire(app, charge, "abandoned", states=ABANDONED)
        common.LOGGER.warning("charge %s: abandoned, but the processor did not cancel it (%s); left %s",
                              charge.id, canceled.status.value, charge.state)
        return False
    if charge.processor_key is None and charge.reference is None and info.status == ChargeStatus.NOT_FOUND:
        return _expire(app, charge, "abandoned", states=ABANDONED)
    common.LOGGER.warning("charge %s: abandoned, but backend %s cannot cancel it (no cancel_payment); left %s",
                          charge.id, app.backend.name, charge.state)
    return False


# --- the customer's return ---------------------------------------------------------


#: A charge in these states is finished: the return has nothing to do.
PAID_STATES = (ChargeState.DONE, ChargeState.DISPUTED, ChargeState.LOST)


def _lease(app: FlowContext, charge: ChargeRow) -> tuple[bool, bool]:
    """Take the charge's lease for the return (``awaiting`` becomes
    ``created`` while the processor is asked, so that ``settle`` does not
    abandon it meanwhile). Returns whether the lease was taken (False when a
    worker holds it) and whether the charge was ``awaiting``."""
    from .checkout import LEASE

    at = common.now()
    was_awaiting = False
    with app.db.transaction() as session:
        taken = common.rowcount(session.execute(
            update(ChargeRow)
            .where(ChargeRow.id == charge.id, ChargeRow.state.in_(common.OPEN_STATES + common.CLOSED_STATES),
                   or_(ChargeRow.lease_until.is_(None), ChargeRow.lease_until < at))
            .values(lease_until=at + LEASE)
            .execution_options(synchronize_session=False)))
        if taken:
            was_awaiting = bool(common.rowcount(session.execute(
                update(ChargeRow)
                .where(ChargeRow.id == charge.id, ChargeRow.state == ChargeState.AWAITING)
                .values(state=ChargeState.CREATED).execution_options(synchronize_session=False))))
    return bool(taken), was_awaiting


def _release(app: FlowContext, charge: ChargeRow, *, reopen: bool = False) -> None:
    """Release the return's lease. ``reopen``: the charge was ``awaiting``
    and the processor shows no attempt (nothing found, or no answer): it is
    ``awaiting`` again — the customer has not paid and still may — instead
    of an attempted charge that ``settle`` would fail when the processor
    finds nothing."""
    with app.db.transaction() as session:
        session.execute(update(ChargeRow).where(ChargeRow.id == charge.id).values(lease_until=None)
                        .execution_options(synchronize_session=False))
        if reopen:
            session.execute(update(ChargeRow)
                            .where(ChargeRow.id == charge.id, ChargeRow.state == ChargeState.CREATED,
                                   ChargeRow.processor_key.is_(None))
                            .values(state=ChargeState.AWAITING).execution_options(synchronize_session=False))


#: Answers to a return that show no attempt at the processor.
NO_ATTEMPT = (ChargeStatus.NOT_FOUND, ChargeStatus.AWAITING_CUSTOMER)


def complete(app: FlowContext, charge: int | str, params: Mapping[str, Any] | None = None, *,
             customer: str | None = None) -> ChargeRow:
    """Finish a payment the customer acted on: ``charge`` is its id or its
    idempotency key, ``params`` what the customer's return carried (query or
    form fields, or what the processor's script answered).

    The backend's ``complete_payment`` verifies with the processor — the
    params are never trusted — and the answer is recorded like a checkout's:
    ``done`` (booked once, whether the processor's webhook came first or
    not), ``failed`` (:class:`~payproc.errors.CardError` raised: the
    challenge failed), ``requires_action`` again, or still in progress.
    A finished charge is returned as is; one another worker is finishing is
    returned as it stands (poll it). Backends without ``complete_payment``
    are asked through ``retrieve_charge``."""
    from .outcome import record_result

    fields = {str(name): value for name, value in (params or {}).items()}
    if any(not isinstance(value, str) for value in fields.values()):
        raise InvalidInput("the return's params must be strings (query or form fields)")
    refuse_card_data(None, fields, what="return")
    if isinstance(charge, str):
        row = charge_for_key(app, charge, customer=customer)
    else:
        row = common.read_charge(app, charge)
        if customer is not None:
            charge_for_key(app, row.idempotency_key, customer=customer)
    if row.state in PAID_STATES:
        return common.read_charge(app, row.id)
    taken, was_awaiting = _lease(app, row)
    if not taken:
        return common.read_charge(app, row.id)
    row = common.read_charge(app, row.id)
    backend = app.backend
    try:
        with app.db.transaction() as session:
            cust, provider, broker, _roles = common.charge_parties(app, session, row)
        ref = common.charge_ref(row, cust, provider, broker)
        if backend.supports("complete_payment"):
            result: PaymentResult = backend.call("complete_payment", charge=ref, params=fields)
        else:
            result = result_of(backend.call("retrieve_charge", charge=ref))
    except CardError as error:
        with app.db.transaction() as session:
            failed = common.record_failure(session, row, error.code, error.charge_processor_key,
                                           states=(ChargeState.CREATED, ChargeState.REQUIRES_ACTION))
        _release(app, row)
        if failed:
            _announce(app, row, ChargeState.FAILED.value, ChargeState.REQUIRES_ACTION.value)
        raise
    except BaseException:
        # a return that could not be verified moved no money (complete only
        # reads the payment, or answers a challenge of a charge that exists)
        _release(app, row, reopen=was_awaiting)
        raise
    if result.status in NO_ATTEMPT:  # nothing was attempted at the processor
        _release(app, row, reopen=was_awaiting)
        return common.read_charge(app, row.id)
    try:
        return record_result(app, row, result)
    finally:
        _release(app, row)
