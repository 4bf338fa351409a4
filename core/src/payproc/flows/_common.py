"""Pieces the flows share: snapshots of profiles and charges for the backend,
and the charge transitions that write the ledger."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Union, cast

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import CursorResult, Row
from sqlalchemy.orm import Session

from .. import ledger
from ..db.models import ChargeRow, ChargeState, LedgerRow, Profile, table_of
from ..errors import InvalidAmount, InvalidInput, InvalidStateTransition
from ..money import format_money
from ..types import ChargeRef, Distribution, Party, ProcessorKeys, Receipt

if TYPE_CHECKING:
    from .context import FlowContext

LOGGER = logging.getLogger("payproc")


def now() -> datetime:
    return datetime.now(timezone.utc)


#: A profile as the ORM holds it, or a plain row of its table (the same
#: attribute names): read-only paths such as the checkout's claim skip the
#: ORM's per-object bookkeeping.
ProfileFields = Union[Profile, "Row[Any]"]


def to_party(profile: ProfileFields, *, is_broker: bool = False) -> Party:
    from pydantic import SecretStr

    return Party(
        slug=profile.slug,
        printable_name=profile.printable_name,
        email=profile.email,
        keys=ProcessorKeys(
            card_key=profile.processor_card_key,
            deposit_key=profile.processor_deposit_key,
            pub_key=profile.processor_pub_key,
            priv_key=SecretStr(profile.processor_priv_key) if profile.processor_priv_key else None,
            refresh_token=SecretStr(profile.processor_refresh_token) if profile.processor_refresh_token else None,
        ),
        is_broker=is_broker,
        phone=profile.phone,
    )


def read_charge(app: FlowContext, charge_id: int) -> ChargeRow:
    """The charge ``charge_id`` as stored now (``LookupError`` if none)."""
    with app.db.reading() as session:
        charge = session.get(ChargeRow, charge_id)
        if charge is None:
            raise LookupError(f"no charge {charge_id}")
        return charge


def clear_processor_keys(app: FlowContext, slug: str | None) -> None:
    """Forget a provider's connected-account keys (the processor says its
    access was revoked)."""
    if not slug:
        return
    with app.db.transaction() as session:
        session.execute(update(Profile).where(Profile.slug == slug).values(
            processor_deposit_key=None, processor_pub_key=None,
            processor_priv_key=None, processor_refresh_token=None))


def get_profile(session: Session, slug: str) -> Profile:
    profile = session.scalar(select(Profile).where(Profile.slug == slug))
    if profile is None:
        raise InvalidInput(f"no profile {slug!r}: create it first (Payproc.add_profile)")
    return profile


def profiles_by_id(session: Session, *ids: int) -> dict[int, Profile]:
    return {p.id: p for p in session.scalars(select(Profile).where(Profile.id.in_(set(ids))))}


def charge_parties(app: FlowContext, session: Session, charge: ChargeRow) -> tuple[Party, Party, Party, ledger.Parties]:
    """Customer, provider and broker snapshots of ``charge``, and the ledger
    roles."""
    broker_id = app.broker_id(session)
    return parties_of(app, charge, profiles_by_id(session, charge.customer_id, charge.provider_id, broker_id),
                      broker_id)


def parties_of(app: FlowContext, charge: ChargeRow, found: Mapping[int, ProfileFields], broker_id: int,
               ) -> tuple[Party, Party, Party, ledger.Parties]:
    """:func:`charge_parties` from profiles the caller already read (by id)."""
    broker = to_party(found[broker_id], is_broker=True)
    customer = to_party(found[charge.customer_id], is_broker=charge.customer_id == broker_id)
    provider = to_party(found[charge.provider_id], is_broker=charge.provider_id == broker_id)
    roles = ledger.Parties(
        processor=app.settings.PROCESSOR_ID, broker=broker_id,
        provider=charge.provider_id, subscriber=charge.customer_id,
    )
    return customer, provider, broker, roles


def charge_ref(charge: ChargeRow, customer: Party, provider: Party, broker: Party) -> ChargeRef:
    return ChargeRef(
        processor_key=charge.processor_key,
        amount=charge.amount,
        currency=charge.currency,
        idempotency_key=charge.idempotency_key,
        created_at=charge.created_at,
        customer=customer,
        provider=provider,
        broker=broker,
        amount_refunded=charge.amount_refunded,
        broker_fee_amount=charge.broker_fee_amount,
        reference=charge.reference,
    )


def distribution(app: FlowContext, ref: ChargeRef, refunded: int) -> Distribution:
    """The backend's split of what remains after ``refunded``; the whole
    amount to the provider when the backend reports no fees."""
    dist = app.backend.call_optional(
        "charge_distribution", charge=ref, refunded=refunded, broker_fee_amount=ref.broker_fee_amount
    )
    if dist is None:
        left = ref.amount - refunded
        return Distribution(left, ref.currency, 0, ref.currency, 0, ref.currency)
    result: Distribution = dist
    return result


def refuse_below_minimum(app: FlowContext, amount: int, currency: str) -> None:
    """Refuse, before any processor call, an amount below the processor's
    minimum charge (``minimum_amount``; backends without it set none)."""
    minimum = app.backend.call_optional("minimum_amount", currency=currency)
    if minimum is not None and amount < minimum:
        raise InvalidAmount(f"{format_money(amount, currency)} is below the processor's minimum charge of "
                            f"{format_money(minimum, currency)}")


def rowcount(result: Any) -> int:
    """Rows an UPDATE matched (``Session.execute`` is typed as returning a
    plain Result; UPDATEs return a CursorResult)."""
    count: int = cast("CursorResult[Any]", result).rowcount
    return count


def lock_charge(app: FlowContext, session: Session, charge_id: int) -> ChargeRow:
    """Re-read ``charge_id`` with a row lock (PostgreSQL) inside the caller's
    transaction."""
    charge: ChargeRow | None = session.scalar(app.db.for_update(select(ChargeRow).where(ChargeRow.id == charge_id)))
    if charge is None:  # pragma: no cover - rows are never deleted
        raise InvalidInput(f"no charge {charge_id}")
    return charge


#: States of a charge no money has been recorded for yet, that a success
#: brings to ``done``: context issued, attempted, waiting for the customer.
OPEN_STATES = (ChargeState.AWAITING, ChargeState.CREATED, ChargeState.REQUIRES_ACTION)
#: States that said "no money": a success arriving later is booked anyway
#: (money received wins) and flagged for review.
CLOSED_STATES = (ChargeState.FAILED, ChargeState.EXPIRED)


def record_success(
    app: FlowContext, session: Session, charge: ChargeRow, processor_key: str, receipt: Receipt,
    dist: Distribution, roles: ledger.Parties, *, expected: str | None = None,
) -> str | None:
    """An open (or failed/expired: see :data:`CLOSED_STATES`) charge ->
    DONE with its ledger rows. Returns the state it left, or ``None`` (and
    changes nothing) if the charge was already paid. A late success is
    flagged ``needs_review`` with the reason; callers broadcast it with
    :func:`announce_success`."""
    at = now()
    values: dict[str, Any] = dict(
        state=ChargeState.DONE, processor_key=processor_key, lease_until=None, updated_at=at,
        last4=receipt.last4, exp_date=receipt.exp_date, card_name=receipt.card_name, brand=receipt.brand,
        failure_code=None, next_action=None,
        description=f"Charge {processor_key} on credit card of {receipt.card_name or 'the customer'}",
    )
    changed = 0
    previous: Any = charge.state
    if expected is not None:  # the caller knows the state (it holds the lease): no read first
        # a Core UPDATE built once (SET from the parameters' keys): no ORM
        # bookkeeping for a row no session holds, no statement per call
        changed = rowcount(session.connection().execute(
            _SUCCESS_FROM_STATE, {"w_id": charge.id, "w_state": expected, **values}))
        previous = expected
    if not changed:
        previous = session.scalar(select(ChargeRow.state).where(ChargeRow.id == charge.id))
        if previous not in OPEN_STATES and previous not in CLOSED_STATES:
            return None
        if not _update_from(session, charge, previous, values):
            return None
    _booked(session, charge, values, dist, roles, at)
    return str(getattr(previous, "value", previous))


_CHARGES = table_of(ChargeRow)
#: ``UPDATE payproc_charge SET <the parameters' other keys> WHERE id AND state``
_SUCCESS_FROM_STATE = update(_CHARGES).where(
    _CHARGES.c.id == bindparam("w_id"), _CHARGES.c.state == bindparam("w_state"))
#: Core ``INSERT`` of ledger rows (an executemany of plain dicts, without
#: the ORM's bulk-insert bookkeeping for rows nothing holds).
_LEDGER_INSERT = insert(table_of(LedgerRow))


def _update_from(session: Session, charge: ChargeRow, previous: Any, values: dict[str, Any]) -> bool:
    reason = None
    if previous in CLOSED_STATES:
        reason = (f"the processor reports charge {values['processor_key']} paid after payproc recorded it "
                  f"{getattr(previous, 'value', previous)} ({charge.failure_code or 'no code'}); booked")
        values.update(needs_review=True, review_reason=reason)
    changed = rowcount(session.execute(
        update(ChargeRow)
        .where(ChargeRow.id == charge.id, ChargeRow.state == previous)
        .values(**values)
        .execution_options(synchronize_session=False)
    ))
    if changed and reason is not None:
        LOGGER.error("charge %s: %s", charge.id, reason)
    return bool(changed)


def _booked(session: Session, charge: ChargeRow, values: dict[str, Any], dist: Distribution,
            roles: ledger.Parties, at: datetime) -> None:
    """The charge object as the UPDATE left the row (callers return it
    without reading it again), and the payment's ledger rows."""
    for name in ("state", "processor_key", "lease_until", "updated_at", "last4", "exp_date", "card_name", "brand",
                 "failure_code", "next_action", "description", "needs_review", "review_reason"):
        if name in values:
            setattr(charge, name, values[name])
    session.connection().execute(_LEDGER_INSERT, ledger.payment_rows(charge, roles, dist, at))


def announce_success(app: FlowContext, charge: ChargeRow, ref: ChargeRef, previous: str | None) -> None:
    """Broadcast what :func:`record_success` did (after its commit):
    ``charge_updated`` and, for a success booked on a failed or expired
    charge, ``charge_needs_review`` with the reason."""
    if previous is None:
        return
    app.backend.notify("charge_updated", charge=ref, state=ChargeState.DONE.value, previous_state=previous)
    if previous in CLOSED_STATES:
        announce_review(app, charge, ref, charge.review_reason or "late success")


def announce_review(app: FlowContext, charge: ChargeRow, ref: ChargeRef, reason: str) -> None:
    app.backend.notify("charge_needs_review", charge=ref, reason=reason)


def flag_for_review(session: Session, charge: ChargeRow, reason: str) -> None:
    """Mark ``charge`` for a person to look at (the books are not changed)."""
    LOGGER.error("charge %s needs review: %s", charge.id, reason)
    session.execute(update(ChargeRow).where(ChargeRow.id == charge.id).values(needs_review=True, review_reason=reason)
                    .execution_options(synchronize_session=False))
    charge.needs_review, charge.review_reason = True, reason


def record_failure(
    session: Session, charge: ChargeRow, code: str | None, processor_key: str | None,
    *, states: tuple[str, ...] = (ChargeState.CREATED,), to: str = ChargeState.FAILED,
) -> bool:
    """``states`` -> FAILED (or ``to``, e.g. EXPIRED). Only attempted charges
    fail by default: an ``awaiting`` one may still be paid."""
    changed = rowcount(session.execute(
        update(ChargeRow)
        .where(ChargeRow.id == charge.id, ChargeRow.state.in_(states))
        .values(state=to, failure_code=code, lease_until=None, updated_at=now(),
                processor_key=processor_key or ChargeRow.processor_key)
        .execution_options(synchronize_session=False)
    ))
    if changed:
        charge.state, charge.failure_code, charge.lease_until = to, code, None
        if processor_key:
            charge.processor_key = processor_key
    return bool(changed)


def require_state(charge: ChargeRow, *states: str, action: str) -> None:
    if charge.state not in states:
        raise InvalidStateTransition(
            f"cannot {action} charge {charge.id}: it is {charge.state}, expected {' or '.join(states)}"
        )
