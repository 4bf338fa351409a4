"""The backend contract, declared as pluggy hookspecs.

A backend is a class whose methods carry :data:`payproc.hookimpl`; the core
instantiates it with no arguments, asks it for its settings model
(:func:`settings_model`), validates the ``PROCESSOR`` section with it and hands
the result to :func:`configure`. Processor SDK clients are built lazily, never
at import, so listing backends imports no SDK.

Backend hooks are ``firstresult``: exactly one backend answers. A backend that
has no hookimpl for an operation does not support it, and the core raises
:class:`~payproc.errors.NotSupportedError` naming the backend — there is no
"not implemented" stub to write.

Every backend hook may raise:

* :class:`~payproc.errors.CardError` — the card was declined; nothing charged.
* :class:`~payproc.errors.ProcessorSetupError` — keys wrong or revoked, account
  not connected; nothing charged.
* :class:`~payproc.errors.OutcomeUnknown` — timeout, connection error, 5xx:
  the request may have taken effect; the core settles it later.
* :class:`~payproc.errors.ProcessorError` — any other refusal.

Backends never touch the database: they get snapshots
(:class:`~payproc.types.Party`, :class:`~payproc.types.ChargeRef`) and return
results; the core records them.

Event hooks (``charge_updated``, ``card_updated``…) are broadcast to every
registered plugin, backends and observers (entry-point group
``payproc.plugins``) alike. Their return values are ignored.

Contract 1.1 (additive: a backend written for 1.0 keeps working) adds what
real processors need beyond "token in, success or decline out": payments
that wait for the customer (``ChargeStatus.AWAITING_CUSTOMER``,
``REQUIRES_ACTION`` with a :class:`~payproc.types.NextAction`,
:func:`complete_payment`, :func:`cancel_payment`, :func:`capture_charge`),
look-ups that settle refunds and payouts whose answer was lost
(:func:`retrieve_refund`, :func:`retrieve_transfer`), reconciliation
(:func:`list_payments`), the processor's minimum charge
(:func:`minimum_amount`), and the backend class attribute
``webhook_verification`` (``"signed"``, the default, or ``"fetch"``; see
:class:`~payproc.types.WebhookVerification`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .types import (
        BankInfo,
        BrowserIntegration,
        CardInfo,
        CardUpdate,
        ChargeInfo,
        ChargeRef,
        CustomerRecord,
        Distribution,
        NextAction,
        Party,
        PaymentContext,
        PaymentRequest,
        PaymentResult,
        ProcessorKeys,
        RefundInfo,
        RefundRef,
        RefundResult,
        TransferRecord,
        TransferRef,
        WebhookEvent,
    )

PROJECT = "payproc"
hookspec = pluggy.HookspecMarker(PROJECT)

#: Hooks that make up a backend's capabilities (one implementation wins).
BACKEND_HOOKS: tuple[str, ...] = (
    "settings_model",
    "configure",
    "browser_integration",
    "get_payment_context",
    "create_payment",
    "create_charge",
    "retrieve_charge",
    "refund_charge",
    "charge_distribution",
    "dispute_fee",
    "prorate_transfer",
    "create_or_update_card",
    "delete_card",
    "retrieve_card",
    "create_transfer",
    "reconcile_transfers",
    "retrieve_bank",
    "update_bank",
    "get_deposit_context",
    "connect_auth",
    "get_authorize_url",
    "get_deauthorize_url",
    "list_customers",
    "parse_webhook",
    # 1.1
    "complete_payment",
    "cancel_payment",
    "capture_charge",
    "retrieve_refund",
    "retrieve_transfer",
    "list_payments",
    "minimum_amount",
)

#: The hooks contract 1.1 added; a 1.0 backend has none of them.
HOOKS_ADDED_IN_1_1: tuple[str, ...] = BACKEND_HOOKS[BACKEND_HOOKS.index("complete_payment"):]

#: Hooks every plugin may implement to observe what happens.
EVENT_HOOKS: tuple[str, ...] = (
    "charge_updated",
    "card_updated",
    "processor_setup_error",
    "refund_created",
    "transfer_created",
    "bank_updated",
    "renewal_charge_failed",
    # 1.1
    "charge_needs_review",
    "renewal_needs_customer",
    "transfer_failed",
)


# --- set-up -----------------------------------------------------------------


@hookspec(firstresult=True)
def settings_model() -> type[BaseModel]:
    """Return the pydantic model that validates this backend's ``PROCESSOR``
    settings section (a subclass of :class:`payproc.settings.BackendSettings`).

    The core validates the section with it when the backend is selected, so a
    missing or malformed key fails at load time with its name.
    """


@hookspec(firstresult=True)
def configure(settings: BaseModel) -> None:
    """Receive the validated settings. Keep them; build SDK clients lazily,
    on first use, one per backend instance (no global SDK state)."""


@hookspec(firstresult=True)
def browser_integration() -> BrowserIntegration:
    """Tell the checkout page the name of the POST field that carries the token
    and which processor scripts it loads.

    .. versionadded:: 1.0
    """


# --- payments ---------------------------------------------------------------


@hookspec(firstresult=True)
def get_payment_context(
    subscriber: Party,
    amount: int | None,
    currency: str | None,
    provider: Party,
    broker: Party,
    broker_fee_amount: int,
    idempotency_key: str | None,
    return_url: str | None,
) -> PaymentContext:
    """Return what the browser needs to tokenize a card: public key, intent
    client secret, order id… ``amount`` is ``None`` for a card update (no
    payment). ``idempotency_key`` is the charge's key when the context is for
    a charge, so a retried page load reuses the same server-side order.

    ``return_url`` (1.1) is where the customer comes back after a redirect or
    a challenge; a hosted checkout returns
    ``PaymentContext(next_action=NextAction(kind=REDIRECT, url=...))``.
    """


@hookspec(firstresult=True)
def create_payment(request: PaymentRequest, reference: str | None) -> PaymentResult:
    """Effect a payment with the one-time token in ``request.token`` that the
    browser obtained from the processor.

    ``reference`` is the server-side handle the backend returned in
    :class:`~payproc.types.PaymentContext` for this charge (never taken from
    the browser). Send ``request.idempotency_key`` to the processor.

    1.1: when the customer must act (3-D Secure…), return
    ``status=REQUIRES_ACTION`` with ``next_action`` instead of raising
    :class:`~payproc.errors.CardError`: the charge is not failed, the
    customer may still pay. With ``request.save_card``, keep the payment
    method as the card on file within this same payment and return its
    ``card_key`` (never a second charge).
    """


@hookspec(firstresult=True)
def create_charge(request: PaymentRequest) -> PaymentResult:
    """Charge the card on file, ``request.customer.keys.card_key`` (renewals,
    one-click). Send ``request.idempotency_key`` to the processor.

    1.1: ``request.off_session`` says whether the customer is absent. An
    off-session charge the processor wants the customer to authenticate is
    ``status=REQUIRES_ACTION`` (the core tells the application through
    ``renewal_needs_customer``), not a decline.
    """


@hookspec(firstresult=True)
def retrieve_charge(charge: ChargeRef) -> ChargeInfo:
    """Return the processor's current view of ``charge``: the way an unknown
    outcome is settled. If ``charge.processor_key`` is ``None`` (the outcome of
    the first call was never seen), find the charge by its ``reference`` or
    idempotency key, or answer ``ChargeStatus.NOT_FOUND``.

    1.1: a context the customer has not used yet is ``AWAITING_CUSTOMER``
    (never ``NOT_FOUND``: the customer may still pay); one that can no longer
    be paid is ``CANCELED``; one waiting on the customer's challenge is
    ``REQUIRES_ACTION``."""


@hookspec(firstresult=True)
def refund_charge(charge: ChargeRef, amount: int, broker_amount: int, idempotency_key: str) -> RefundResult:
    """Refund ``amount`` of ``charge`` (the core has checked it is no more than
    what is left) and give back ``broker_amount`` of the broker's fee."""


@hookspec(firstresult=True)
def charge_distribution(charge: ChargeRef, refunded: int, broker_fee_amount: int) -> Distribution:
    """Split what remains of ``charge`` after ``refunded`` into the provider's
    part, the processor fee and the broker fee. The three add up to
    ``charge.amount - refunded`` when they share a currency."""


@hookspec(firstresult=True)
def dispute_fee(amount: int, currency: str) -> int:
    """The processor's fee for a dispute on a charge of ``amount``."""


@hookspec(firstresult=True)
def prorate_transfer(amount: int, provider: Party) -> int:
    """The processor's fee for paying out ``amount`` to ``provider``."""


@hookspec(firstresult=True)
def complete_payment(charge: ChargeRef, params: Mapping[str, str]) -> PaymentResult:
    """The customer came back: from a redirect (``params`` is the return
    URL's query) or from the processor's browser script (the fields it
    hands the page). Verify with the processor — ``params`` only say where
    to look and are never proof of payment — and return the outcome. Called
    again for the same charge (a second return, a reload) it answers the
    same. (1.1)"""


@hookspec(firstresult=True)
def cancel_payment(charge: ChargeRef) -> ChargeInfo:
    """Cancel a payment the customer abandoned, so that it can no longer be
    paid, and return the processor's view afterwards: ``CANCELED``, or
    ``SUCCEEDED`` if the customer paid in the meantime. The core expires a
    charge only on ``CANCELED``. (1.1)"""


@hookspec(firstresult=True)
def capture_charge(charge: ChargeRef) -> PaymentResult:
    """Capture an authorized payment (``EventType.CHARGE_AUTHORIZED``,
    ``ChargeStatus.PENDING`` with an authorization), for processors that
    authorize first and refund what is not captured in time. (1.1)"""


@hookspec(firstresult=True)
def minimum_amount(currency: str) -> int:
    """The smallest charge the processor accepts in ``currency`` (minor
    units). The core refuses smaller amounts before calling the backend.
    (1.1)"""


@hookspec(firstresult=True)
def list_payments(since: datetime, until: datetime) -> Sequence[ChargeInfo]:
    """The processor's payments created in ``[since, until)``, with their
    ``idempotency_key`` when the processor keeps it: reconciliation finds
    the ones the core does not know. (1.1)"""


@hookspec(firstresult=True)
def retrieve_refund(refund: RefundRef) -> RefundInfo:
    """The processor's view of one refund: how a refund whose answer was
    lost is settled. Without ``refund.processor_key``, find it by
    ``refund.idempotency_key``; ``RefundStatus.NOT_FOUND`` only when the
    processor certainly has no such refund. (1.1)"""


# --- the card on file -------------------------------------------------------


@hookspec(firstresult=True)
def create_or_update_card(subscriber: Party, token: str, provider: Party, broker: Party) -> CardUpdate:
    """Store the card behind ``token`` as ``subscriber``'s card on file and
    return the key to keep (a customer id) with the card's details."""


@hookspec(firstresult=True)
def delete_card(subscriber: Party, broker: Party) -> None:
    """Forget ``subscriber``'s card on file on the processor."""


@hookspec(firstresult=True)
def retrieve_card(subscriber: Party, broker: Party) -> CardInfo | None:
    """Return ``subscriber``'s card on file, or ``None`` when there is none."""


# --- payouts and connected accounts ----------------------------------------


@hookspec(firstresult=True)
def create_transfer(
    provider: Party, amount: int, currency: str, descr: str | None, idempotency_key: str
) -> TransferRecord:
    """Pay ``amount`` out to ``provider``'s bank account.

    1.1: ``idempotency_key`` is stable for one intended payout (an
    application's retry sends the same key): send it to the processor, or
    keep it with the payout where the processor has no idempotency."""


@hookspec(firstresult=True)
def retrieve_transfer(transfer: TransferRef) -> TransferRecord | None:
    """The processor's view of one payout (how a payout whose answer was
    lost is settled); ``None`` when the processor certainly has none with
    ``transfer.idempotency_key``. (1.1)"""


@hookspec(firstresult=True)
def reconcile_transfers(provider: Party, since: datetime, limit_to_one_request: bool) -> Sequence[TransferRecord]:
    """Return the payouts to ``provider`` made since ``since``, oldest first.
    Page through all of them unless ``limit_to_one_request``."""


@hookspec(firstresult=True)
def retrieve_bank(provider: Party, broker: Party, includes_balance: bool) -> BankInfo:
    """Describe ``provider``'s deposit account (and its balance)."""


@hookspec(firstresult=True)
def update_bank(provider: Party, bank_token: str) -> BankInfo:
    """Attach the bank account behind ``bank_token`` to ``provider``."""


@hookspec(firstresult=True)
def get_deposit_context(provider: Party) -> Mapping[str, Any]:
    """What the browser needs to connect ``provider``'s deposit account."""


@hookspec(firstresult=True)
def connect_auth(provider: Party, code: str) -> ProcessorKeys:
    """Exchange an OAuth ``code`` for ``provider``'s connected-account keys."""


@hookspec(firstresult=True)
def get_authorize_url(provider: Party, state: str, redirect_uri: str | None) -> str:
    """The URL that starts connecting ``provider``'s account (OAuth)."""


@hookspec(firstresult=True)
def get_deauthorize_url(provider: Party) -> str:
    """The URL that disconnects ``provider``'s account."""


@hookspec(firstresult=True)
def list_customers(pattern: str, broker: Party) -> Sequence[CustomerRecord]:
    """Customers on the processor whose description matches ``pattern``."""


# --- webhooks ---------------------------------------------------------------


@hookspec(firstresult=True)
def parse_webhook(body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
    """Verify a callback from the raw ``body`` and ``headers`` (lower-case
    names) and return the normalized event.

    Raise :class:`~payproc.errors.WebhookVerificationError` for a missing,
    malformed or wrong signature, a stale timestamp, or when no webhook secret
    is configured (fail closed). Compare signatures in constant time.
    """


# --- events (broadcast) -----------------------------------------------------


@hookspec
def charge_updated(charge: ChargeRef, state: str, previous_state: str | None) -> None:
    """A charge changed state (``created``, ``done``, ``failed``,
    ``disputed``)."""


@hookspec
def card_updated(subscriber: Party, old_card: CardInfo | None, new_card: CardInfo) -> None:
    """``subscriber`` replaced the card on file."""


@hookspec
def processor_setup_error(provider: str | None, message: str, customer: Party | None) -> None:
    """A payment failed because a provider's processor account is not set up."""


@hookspec
def refund_created(charge: ChargeRef, refund: RefundResult) -> None:
    """A refund was recorded."""


@hookspec
def transfer_created(provider: Party, transfer: TransferRecord) -> None:
    """A payout was recorded."""


@hookspec
def bank_updated(provider: Party) -> None:
    """``provider``'s deposit account changed."""


@hookspec
def renewal_charge_failed(customer: Party, amount: int, currency: str, final_notice: bool) -> None:
    """A renewal on the card on file failed."""


@hookspec
def charge_needs_review(charge: ChargeRef, reason: str) -> None:
    """Money moved in a way the core did not expect — a success reported for
    a charge already failed or expired (it is booked: money received wins),
    an amount that does not match. A person should look. (1.1)"""


@hookspec
def renewal_needs_customer(customer: Party, charge: ChargeRef, next_action: NextAction) -> None:
    """An off-session renewal needs the customer (3-D Secure): bring them
    back with ``next_action`` (or a page of the application's that calls
    ``Payproc.complete``). Not a decline. (1.1)"""


@hookspec
def transfer_failed(provider: Party, transfer: TransferRecord) -> None:
    """A payout came back (the bank refused it); its booking is reversed.
    (1.1)"""
