"""Payment context and checkout.

A checkout runs in three steps so that no outcome is ever lost or guessed:

1. record the charge (state ``created``) with its idempotency key and take a
   short *lease* on it, then commit — only the lease holder calls the
   processor, so concurrent retries of one checkout make one processor call;
2. call the processor, outside any database transaction;
3. record the outcome and its ledger rows in one transaction.

A crash or timeout between 2 and 3 leaves a ``created`` charge whose key the
processor knows; :func:`payproc.flows.outcome.settle_charge` (run by
:func:`payproc.flows.settle.settle`) asks the processor (``retrieve_charge``)
and records what it says; step 3 itself is :func:`payproc.flows.outcome.record_result`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db.models import ChargeRow, ChargeState, Profile, table_of
from ..errors import (
    CardError,
    InvalidInput,
    NoPaymentMethod,
    OutcomeUnknown,
    ProcessorError,
    ProcessorSetupError,
)
from ..guards import refuse_card_data
from ..money import money_text, normalize_currency, validate_amount
from ..types import ChargeInfo, ChargeStatus, Party, PaymentContext, PaymentRequest, PaymentResult
from . import _common as common
from ._common import ProfileFields
from . import actions
from ..retry import call_with_retries
from .outcome import fail as _fail
from .outcome import record_result
from .outcome import release as _release

if TYPE_CHECKING:
    from .context import FlowContext
    from ..ledger import Parties

    Parties4 = tuple[Party, Party, Party, Parties]

#: How long a worker may hold a charge while it waits for the processor.
LEASE = timedelta(seconds=120)
#: A checkout may attempt a charge in these states (``awaiting`` becomes
#: ``created``: attempted, outcome unknown until the processor answers).
CLAIMABLE = (ChargeState.AWAITING, ChargeState.CREATED)


@dataclass(frozen=True)
class PreparedPayment:
    """What a checkout page needs: the backend's values for the browser, the
    field the token comes back in, and the key that names this charge (post
    it back with the token so the checkout reuses the same charge)."""

    values: Mapping[str, Any]
    token_field: str
    idempotency_key: str | None
    #: A hosted or redirect checkout: send the customer there instead of
    #: asking for a token (kept with the charge too).
    next_action: Mapping[str, Any] | None = None


def new_idempotency_key() -> str:
    return f"pp_{uuid.uuid4().hex}"


def _validate(amount: object, currency: object, app: FlowContext | None = None) -> tuple[int, str]:
    valid = validate_amount(amount), normalize_currency(currency)
    if app is not None:
        common.refuse_below_minimum(app, *valid)
    return valid


def payment_context(
    app: FlowContext, customer: str, amount: int | None = None, currency: str | None = None,
    *, provider: str | None = None, idempotency_key: str | None = None, broker_fee_amount: int = 0,
    return_url: str | None = None,
) -> PreparedPayment:
    """Ask the backend what the browser needs. With an amount, the charge is
    recorded now (state ``awaiting``: the customer has not tried to pay, and
    may still) so the backend's server-side handle (an order id) is kept with
    it and never taken from the browser. ``return_url`` is where a processor
    that sends the customer away (3-D Secure, a hosted page) brings them
    back; the customer's return finishes the payment (``complete``)."""
    backend = app.backend
    key = None
    refuse_card_data(None, {"customer": customer, "provider": provider, "idempotency_key": idempotency_key})
    if amount is not None:
        amount, currency = _validate(amount, currency, app)
        validate_amount(broker_fee_amount, allow_zero=True, what="broker_fee_amount")
        key = idempotency_key or new_idempotency_key()
    with app.db.transaction() as session:
        cust = common.get_profile(session, customer)
        prov = common.get_profile(session, provider or app.settings.BROKER)
        broker = common.get_profile(session, app.settings.BROKER)
        parties = (common.to_party(cust), common.to_party(prov, is_broker=prov.id == broker.id),
                   common.to_party(broker, is_broker=True))
        if key is not None:
            _charge_for_key(session, key, cust, prov, amount, currency, broker_fee_amount,  # type: ignore[arg-type]
                            state=ChargeState.AWAITING)
    try:
        context: PaymentContext = backend.call(
            "get_payment_context", subscriber=parties[0], amount=amount, currency=currency,
            provider=parties[1], broker=parties[2], broker_fee_amount=broker_fee_amount, idempotency_key=key,
            return_url=return_url,
        )
    except InvalidInput:
        if key is not None:  # refused before anything was sent: not a charge in progress
            with app.db.transaction() as session:
                charge = session.scalar(select(ChargeRow).where(ChargeRow.idempotency_key == key))
                if charge is not None and charge.processor_key is None:
                    common.record_failure(session, charge, "invalid_input", None,
                                          states=(ChargeState.AWAITING, ChargeState.CREATED))
        raise
    action = actions.next_action_json(context.next_action)
    if key is not None and (context.reference or action):
        with app.db.transaction() as session:
            session.execute(
                update(ChargeRow).where(ChargeRow.idempotency_key == key)
                .values(reference=context.reference or ChargeRow.reference, next_action=action)
            )
    return PreparedPayment(context.values, context.token_field, key, action)


def _charge_for_key(
    session: Session, key: str, cust: ProfileFields, prov: ProfileFields, amount: int, currency: str, broker_fee: int,
    *, state: ChargeState = ChargeState.CREATED,
) -> ChargeRow:
    charge: ChargeRow | None = session.scalar(select(ChargeRow).where(ChargeRow.idempotency_key == key))
    if charge is None:
        charge = ChargeRow(
            idempotency_key=key, customer_id=cust.id, provider_id=prov.id, amount=amount,
            currency=currency, broker_fee_amount=broker_fee, state=state,
        )
        session.add(charge)
        session.flush()
    else:
        _refuse_reused_key(key, charge, cust, prov, amount, currency)
    return charge


def checkout(
    app: FlowContext,
    customer: str,
    amount: int,
    currency: str,
    token: str | None = None,
    *,
    provider: str | None = None,
    idempotency_key: str | None = None,
    remember_card: bool = False,
    browser_fields: Mapping[str, str] | None = None,
    descr: str | None = None,
    stmt_descr: str | None = None,
    broker_fee_amount: int = 0,
    return_url: str | None = None,
    off_session: bool = False,
) -> ChargeRow:
    """Charge ``customer`` ``amount`` ``currency`` with ``token`` (a
    processor token from the browser) or, without one, the card on file.

    Returns the charge: ``done`` when paid, ``created`` when the processor
    says it is still pending or another worker holds it, ``requires_action``
    when the customer must act first (its ``next_action`` says how; the
    customer's return or the processor's webhook finishes it, see
    :func:`payproc.flows.actions.complete`). ``remember_card`` asks the
    backend to keep the card on file with this same payment
    (``PaymentRequest.save_card``): one processor charge, whatever the
    options. A backend that cannot (it does not declare
    ``saves_card_with_payment``) still makes the one payment — the customer
    may already have paid in the browser — and the card is not kept (logged;
    the customer's ``card_key`` is unchanged): store it with ``update_card``.
    ``off_session`` is for charges made without the customer (renewals).
    Raises
    :class:`CardError` (declined; the charge is ``failed``),
    :class:`OutcomeUnknown` (the charge stays ``created``; settle it),
    :class:`ProcessorSetupError`, :class:`NoPaymentMethod`,
    :class:`InvalidInput`.
    """
    amount, currency = _validate(amount, currency, app)
    validate_amount(broker_fee_amount, allow_zero=True, what="broker_fee_amount")
    if broker_fee_amount > amount:
        raise InvalidInput(f"broker_fee_amount {money_text(broker_fee_amount, currency)} is more than the amount "
                           f"{money_text(amount, currency)}")
    if token is not None and (not isinstance(token, str) or not token.strip()):
        raise InvalidInput("token must be a non-empty processor token string")
    refuse_card_data(token, {
        "browser_fields": browser_fields or {}, "customer": customer, "provider": provider,
        "idempotency_key": idempotency_key, "descr": descr, "stmt_descr": stmt_descr,
    })
    key = idempotency_key or new_idempotency_key()
    charge, parties, retried = _claim(app, customer, provider, key, amount, currency, broker_fee_amount, token)
    if parties is None:
        return charge
    if retried:
        known = _ask_before_retry(app, charge, parties)
        if known is not None:
            return known
    return _execute(app, charge, parties, token, remember_card=remember_card, browser_fields=browser_fields or {},
                    descr=descr, stmt_descr=stmt_descr, return_url=return_url, off_session=off_session)


_PROFILE_TABLE = table_of(Profile)
#: Built once: SQLAlchemy caches its compiled form by the statement itself.
#: Plain rows, not ORM objects: the checkout changes no profile through them.
_PROFILES = select(_PROFILE_TABLE).where(_PROFILE_TABLE.c.slug.in_(bindparam("slugs", expanding=True)))


def _claim(
    app: FlowContext, customer: str, provider: str | None, key: str, amount: int, currency: str,
    broker_fee: int, token: str | None,
) -> tuple[ChargeRow, Parties4 | None, bool]:
    """Record the charge and take its lease, in one transaction (the first
    durable commit). Returns the charge; when this worker must call the
    processor, the parties' snapshots read in the same transaction (so the
    call needs no other read); and whether an earlier attempt may have
    reached the processor (a retry of a ``created`` charge).

    A new key costs two statements: the profiles (customer, provider and
    broker at once) and ``INSERT … ON CONFLICT DO NOTHING RETURNING`` with
    the lease already set. A key that exists (a retry, or the charge
    ``payment_context`` recorded) is claimed with one conditional
    ``UPDATE … RETURNING``, and read only when that finds nothing to take."""
    provider_slug = provider or app.settings.BROKER
    for _attempt in range(3):
        try:
            with app.db.transaction() as session:
                rows = {p.slug: p for p in session.connection().execute(
                    _PROFILES, {"slugs": sorted({customer, provider_slug, app.settings.BROKER})})}
                cust, prov = rows.get(customer), rows.get(provider_slug)
                if cust is None or prov is None:
                    missing = customer if cust is None else provider_slug
                    raise InvalidInput(f"no profile {missing!r}: create it first (Payproc.add_profile)")
                if token is None and not cust.processor_card_key:
                    raise NoPaymentMethod(cust.printable_name or cust.slug)
                charge = _insert_claimed(session, key, cust, prov, amount, currency, broker_fee)
                retried = False
                if charge is None:
                    charge, claimed, retried = _claim_existing(session, key, cust, prov, amount, currency)
                    if not claimed:
                        return charge, None, False
                broker = rows.get(app.settings.BROKER)
                if broker is None:  # pragma: no cover - init_db creates it
                    raise LookupError(f"no broker profile {app.settings.BROKER!r}: run init_db() first")
                found = {p.id: p for p in rows.values()}
                return charge, common.parties_of(app, charge, found, broker.id), retried
        except IntegrityError:
            continue  # another worker inserted the same key first: read it
    raise OutcomeUnknown(f"could not record charge {key!r}: the database kept refusing it")


def _insert_claimed(
    session: Session, key: str, cust: ProfileFields, prov: ProfileFields, amount: int, currency: str, broker_fee: int,
) -> ChargeRow | None:
    """The new charge, leased to this worker; None if the key exists."""
    statement = _claim_insert(session.get_bind().dialect.name)
    if statement is None:  # pragma: no cover - payproc runs on SQLite and PostgreSQL
        return None
    charge: ChargeRow | None = session.scalars(statement, {
        "p_key": key, "p_customer": cust.id, "p_provider": prov.id, "p_amount": amount, "p_currency": currency,
        "p_broker_fee": broker_fee, "p_state": ChargeState.CREATED, "p_lease": common.now() + LEASE,
    }, execution_options={"populate_existing": True}).one_or_none()
    return charge


_CLAIM_INSERTS: dict[str, Any] = {}


def _claim_insert(dialect: str) -> Any:
    """``INSERT … ON CONFLICT (idempotency_key) DO NOTHING RETURNING`` for
    ``dialect``, built once with bound parameters: SQLAlchemy then reuses
    its compiled form and cache key instead of building a statement (and a
    bound parameter per value) for every checkout. A Core statement on the
    table, loaded as a ``ChargeRow`` (``from_statement``), skips the ORM's
    bulk-insert machinery meant for many rows."""
    statement = _CLAIM_INSERTS.get(dialect)
    if statement is None:
        from sqlalchemy.dialects import postgresql, sqlite

        insert: Any = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
        if insert is None:  # pragma: no cover
            return None
        table = ChargeRow.__table__
        core = insert(table).values(
            idempotency_key=bindparam("p_key"), customer_id=bindparam("p_customer"),
            provider_id=bindparam("p_provider"), amount=bindparam("p_amount"), currency=bindparam("p_currency"),
            broker_fee_amount=bindparam("p_broker_fee"), state=bindparam("p_state"),
            lease_until=bindparam("p_lease"),
        ).on_conflict_do_nothing(index_elements=[table.c.idempotency_key]).returning(*table.c)
        statement = _CLAIM_INSERTS[dialect] = select(ChargeRow).from_statement(core)
    return statement


def _claim_existing(
    session: Session, key: str, cust: ProfileFields, prov: ProfileFields, amount: int, currency: str,
) -> tuple[ChargeRow, bool, bool]:
    """The charge ``key`` names; True if it was open with nobody holding it
    (now leased to this worker); and True if it was ``created`` already: an
    earlier attempt's outcome is unknown (its answer was lost, its worker
    died), so the processor may have it."""
    at = common.now()
    claim = update(ChargeRow).values(lease_until=at + LEASE, state=ChargeState.CREATED).returning(ChargeRow)
    retried = False
    # settle's lease on an awaiting charge does not keep the customer out
    charge: ChargeRow | None = session.scalars(
        claim.where(ChargeRow.idempotency_key == key, ChargeRow.state == ChargeState.AWAITING),
        execution_options={"populate_existing": True},
    ).one_or_none()
    if charge is None:
        charge = session.scalars(
            claim.where(ChargeRow.idempotency_key == key, ChargeRow.state == ChargeState.CREATED,
                        or_(ChargeRow.lease_until.is_(None), ChargeRow.lease_until < at)),
            execution_options={"populate_existing": True},
        ).one_or_none()
        retried = charge is not None
    claimed = charge is not None
    if charge is None:
        charge = session.scalar(select(ChargeRow).where(ChargeRow.idempotency_key == key))
        if charge is None:  # pragma: no cover - the INSERT found it a moment ago
            raise OutcomeUnknown(f"charge {key!r} vanished while being claimed")
    _refuse_reused_key(key, charge, cust, prov, amount, currency)  # inside the transaction: the claim rolls back
    return charge, claimed, retried


def _ask_before_retry(app: FlowContext, charge: ChargeRow, parties: Parties4) -> ChargeRow | None:
    """A retry of a charge whose earlier attempt has no known outcome: ask
    the processor (``retrieve_charge``) what that attempt did before sending
    anything. The retry may differ from it (``remember_card`` ticked or
    unticked, another token): a processor refuses a key reused with other
    parameters, and that refusal must not fail a purchase it charged. Paid:
    booked, nothing sent. Declined: failed, and the ``CardError`` raised.
    Challenged, cancelled or still processing: recorded as the processor
    says (poll it). None when the processor has no attempt (or one still
    waiting for the customer): send the payment. Holds the lease throughout;
    an unknown answer releases it and propagates (nothing is sent)."""
    if not app.backend.supports("retrieve_charge"):
        return None
    customer, provider, broker, _roles = parties
    try:
        info: ChargeInfo = app.backend.call("retrieve_charge", charge=common.charge_ref(charge, customer, provider,
                                                                                         broker))
    except BaseException:
        _release(app, charge)
        raise
    if info.status in (ChargeStatus.NOT_FOUND, ChargeStatus.AWAITING_CUSTOMER):
        return None
    if info.status == ChargeStatus.SUCCEEDED:
        common.LOGGER.info("charge %s: an earlier attempt was paid; booked, not sent again", charge.id)
        return record_result(app, charge, actions.result_of(info), parties=parties, claimed=True)
    if info.status == ChargeStatus.FAILED:
        code = info.failure_code or "card_declined"
        _fail(app, charge, code, info.processor_key)
        raise CardError(info.failure_message or "The payment was declined.", code,
                        charge_processor_key=info.processor_key)
    return actions.record_unfinished(app, charge, actions.result_of(info))


def _refuse_reused_key(key: str, charge: ChargeRow, cust: ProfileFields, prov: ProfileFields, amount: int, currency: str) -> None:
    if charge.customer_id != cust.id:
        # Another customer's purchase: say nothing about it (its amount,
        # its state), as a poll of that key by this customer would not.
        raise InvalidInput(f"idempotency key {key!r} is already in use; use a new key for a new payment")
    if (charge.provider_id, charge.amount, charge.currency) != (prov.id, amount, currency):
        raise InvalidInput(
            f"idempotency key {key!r} was used for another charge "
            f"({money_text(charge.amount, charge.currency)}); use a new key for a new payment"
        )


def _execute(
    app: FlowContext, charge: ChargeRow, parties: Parties4, token: str | None, *, remember_card: bool,
    browser_fields: Mapping[str, str], descr: str | None, stmt_descr: str | None,
    return_url: str | None, off_session: bool,
) -> ChargeRow:
    backend = app.backend
    customer, provider, broker, roles = parties
    save_card = token is not None and remember_card
    try:
        request = PaymentRequest(
            amount=charge.amount, currency=charge.currency, customer=customer, provider=provider,
            broker=broker, idempotency_key=charge.idempotency_key, token=token, descr=descr,
            stmt_descr=stmt_descr, broker_fee_amount=charge.broker_fee_amount,
            browser_fields=dict(browser_fields), off_session=off_session and token is None,
            return_url=return_url, save_card=save_card,
        )
        policy = app.settings.RETRIES
        if token is not None:
            result: PaymentResult = call_with_retries(
                backend, policy, "create_payment", request=request, reference=charge.reference)
        else:
            result = call_with_retries(backend, policy, "create_charge", request=request)
    except CardError as error:
        _fail(app, charge, error.code, error.charge_processor_key)
        common.LOGGER.info("card-error on charge %s: %s (%s)", charge.id, error.code, error.charge_processor_key)
        raise
    except ProcessorSetupError as error:
        _fail(app, charge, "setup_error", None)
        if error.revoked:
            common.clear_processor_keys(app, provider.slug)
        backend.notify("processor_setup_error", provider=error.provider, message=str(error), customer=customer)
        raise
    except OutcomeUnknown:
        _release(app, charge)
        common.LOGGER.warning("charge %s: outcome unknown; it stays in progress until settled", charge.id)
        raise
    except ProcessorError as error:
        _fail(app, charge, "processor_error", None)
        common.LOGGER.error("processor-error on charge %s: %s", charge.id, error.message)
        raise
    except InvalidInput:
        # The backend refused the request before sending it (an amount the
        # processor does not take): nothing happened; do not leave the
        # charge in progress for settle() to ask about.
        _fail(app, charge, "invalid_input", None)
        raise
    new_card_key = result.card_key if save_card else None
    if save_card and not new_card_key and result.status == ChargeStatus.SUCCEEDED:
        common.LOGGER.warning("charge %s: backend %s cannot keep the card with a payment "
                              "(saves_card_with_payment); paid once, the card is not kept", charge.id, backend.name)
    recorded = record_result(app, charge, result, new_card_key=new_card_key,
                             parties=(customer, provider, broker, roles), claimed=True)
    if request.off_session and result.status == ChargeStatus.REQUIRES_ACTION and result.next_action is not None \
            and recorded.state == ChargeState.REQUIRES_ACTION:
        # A renewal the bank wants the card holder for: bring them back.
        backend.notify("renewal_needs_customer", customer=customer,
                       charge=common.charge_ref(recorded, customer, provider, broker), next_action=result.next_action)
    return recorded
