"""The processor's answer to a charge, recorded: the integrity check (the
amount and currency it charged, a payment booked to one charge only), the
success with its ledger rows and the webhook events that waited for it, or
an unfinished payment; and :func:`settle_charge`, which asks the processor
about a charge whose answer was lost (``retrieve_charge``) and records what
it says. Used by the checkout (:mod:`payproc.flows.checkout`), by the
customer's return (:mod:`payproc.flows.actions`) and by settle.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..db.models import ChargeRow, ChargeState, Profile
from ..errors import IntegrityMismatch
from ..money import money_text
from ..types import ChargeInfo, ChargeStatus, Party, PaymentResult
from . import _common as common
from . import actions
from .webhooks import apply_pending_events

if TYPE_CHECKING:
    from ..ledger import Parties
    from .context import FlowContext

__all__ = ["fail", "record_result", "refuse_booked_elsewhere", "release", "settle_charge"]


def record_result(
    app: FlowContext, charge: ChargeRow, result: PaymentResult, *, new_card_key: str | None = None,
    parties: tuple[Party, Party, Party, Parties] | None = None, claimed: bool = False,
) -> ChargeRow:
    """Record the processor's answer to a payment (after the integrity
    check)."""
    if result.amount != charge.amount or result.currency.lower() != charge.currency:
        refuse_booked_elsewhere(app, charge, result.processor_key)
        with app.db.transaction() as session:
            session.execute(update(ChargeRow).where(ChargeRow.id == charge.id).values(
                processor_key=result.processor_key, failure_code="integrity_mismatch", lease_until=None))
        common.LOGGER.error(
            "charge %s: processor %s answered %s %s for %s %s; not marked done",
            charge.id, result.processor_key, result.amount, result.currency, charge.amount, charge.currency,
        )
        raise IntegrityMismatch(
            f"the processor charged {money_text(result.amount, result.currency)} for charge {charge.id} "
            f"of {money_text(charge.amount, charge.currency)}; it is not marked done and needs review",
            expected=(charge.amount, charge.currency), answered=(result.amount, result.currency),
        )
    if result.status != ChargeStatus.SUCCEEDED:
        try:
            return actions.record_unfinished(app, charge, result)
        except IntegrityError:
            refuse_booked_elsewhere(app, charge, result.processor_key)
            raise
    if parties is None:  # the caller did not just read them
        with app.db.transaction() as session:
            parties = common.charge_parties(app, session, charge)
    customer, provider, broker, roles = parties
    ref = common.charge_ref(charge, customer, provider, broker)
    ref = replace(ref, processor_key=result.processor_key)
    dist = common.distribution(app, ref, 0)
    try:
        with app.db.transaction() as session:
            app.db.lock_key(session, result.processor_key)
            previous = common.record_success(app, session, charge, result.processor_key, result.receipt, dist, roles,
                                             expected=ChargeState.CREATED if claimed else None)
            if new_card_key is not None:
                session.execute(update(Profile).where(Profile.id == charge.customer_id)
                                .values(processor_card_key=new_card_key, nb_renewal_attempts=0))
            apply_pending_events(app, session, result.processor_key)
    except IntegrityError:  # processor_key is unique: asked only when the write is refused
        refuse_booked_elsewhere(app, charge, result.processor_key)
        raise
    common.announce_success(app, charge, ref, previous)
    if previous is None:  # someone else recorded it first: theirs is the row to return
        return common.read_charge(app, charge.id)
    return charge  # as record_success left it: no re-read of what was just written


def refuse_booked_elsewhere(app: FlowContext, charge: ChargeRow, processor_key: str) -> None:
    """Raise :class:`IntegrityMismatch` when the processor answered for
    ``charge`` with a payment another charge holds (a token of another
    purchase): one payment is booked once. ``charge`` keeps no processor
    key, is released, and is flagged for review; it is not paid."""
    if not processor_key:
        return
    with app.db.transaction() as session:
        other = session.scalar(select(ChargeRow.id).where(ChargeRow.processor_key == processor_key,
                                                          ChargeRow.id != charge.id))
        if other is None:
            return
        session.execute(update(ChargeRow).where(ChargeRow.id == charge.id)
                        .values(failure_code="integrity_mismatch", lease_until=None)
                        .execution_options(synchronize_session=False))
        common.flag_for_review(session, charge, f"the processor answered with payment {processor_key}, "
                                                f"already booked to charge {other}; not booked again")
    raise IntegrityMismatch(
        f"the processor answered for charge {charge.id} with a payment already booked to another charge; "
        "it is not marked done and needs review")


def fail(app: FlowContext, charge: ChargeRow, code: str | None, processor_key: str | None) -> None:
    with app.db.transaction() as session:
        common.record_failure(session, charge, code, processor_key)


def release(app: FlowContext, charge: ChargeRow) -> None:
    with app.db.transaction() as session:
        session.execute(update(ChargeRow).where(ChargeRow.id == charge.id).values(lease_until=None))


def settle_charge(app: FlowContext, charge: ChargeRow) -> bool:
    """Settle one charge through ``retrieve_charge``. True if it changed.

    ============================  ==============================================
    the processor says            the charge
    ============================  ==============================================
    succeeded                     done, booked (flagged for review if it had
                                  failed or expired: money received wins)
    failed                        failed if it was attempted; ``awaiting``
                                  stays (the customer may pay another way)
    not found                     failed if it was attempted (``created``);
                                  otherwise unchanged
    canceled                      expired (it can no longer be paid)
    requires action               ``requires_action`` with the next action
    pending, awaiting customer    unchanged
    ============================  ==============================================

    An ``awaiting`` or ``requires_action`` charge older than
    ``ABANDON_AFTER`` is then cancelled through the backend's
    ``cancel_payment`` and expired when the processor confirms it.
    """
    with app.db.transaction() as session:
        customer, provider, broker, roles = common.charge_parties(app, session, charge)
    ref = common.charge_ref(charge, customer, provider, broker)
    info: ChargeInfo = app.backend.call("retrieve_charge", charge=ref)
    before = charge.state
    if info.status == ChargeStatus.SUCCEEDED:
        after = record_result(app, charge, actions.result_of(info))
        return after.state != before
    if info.status == ChargeStatus.CANCELED:
        return actions.expire(app, charge, info.failure_code or "canceled")
    if info.status == ChargeStatus.REQUIRES_ACTION and charge.state != ChargeState.REQUIRES_ACTION:
        after = actions.record_unfinished(app, charge, actions.result_of(info))
        return after.state != before
    attempted = (ChargeState.CREATED,) if info.status == ChargeStatus.NOT_FOUND else (
        ChargeState.CREATED, ChargeState.REQUIRES_ACTION)
    if info.status in (ChargeStatus.FAILED, ChargeStatus.NOT_FOUND) and charge.state in attempted:
        with app.db.transaction() as session:
            changed = common.record_failure(
                session, charge, info.failure_code or info.status.value, info.processor_key, states=attempted)
        if changed:
            app.backend.notify("charge_updated", charge=ref, state=ChargeState.FAILED.value,
                               previous_state=str(getattr(before, "value", before)))
        return changed
    return actions.abandon_if_old(app, charge, ref, info)
