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
        Party,
        PaymentContext,
        PaymentRequest,
        PaymentResult,
        ProcessorKeys,
        RefundResult,
        TransferRecord,
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
)

#: Hooks every plugin may implement to observe what happens.
EVENT_HOOKS: tuple[str, ...] = (
    "charge_updated",
    "card_updated",
    "processor_setup_error",
    "refund_created",
    "transfer_created",
    "bank_updated",
    "renewal_charge_failed",
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
) -> PaymentContext:
    """Return what the browser needs to tokenize a card: public key, intent
    client secret, order id… ``amount`` is ``None`` for a card update (no
    payment). ``idempotency_key`` is the charge's key when the context is for
    a charge, so a retried page load reuses the same server-side order.
    """


@hookspec(firstresult=True)
def create_payment(request: PaymentRequest, reference: str | None) -> PaymentResult:
    """Effect a payment with the one-time token in ``request.token`` that the
    browser obtained from the processor.

    ``reference`` is the server-side handle the backend returned in
    :class:`~payproc.types.PaymentContext` for this charge (never taken from
    the browser). Send ``request.idempotency_key`` to the processor.
    """


@hookspec(firstresult=True)
def create_charge(request: PaymentRequest) -> PaymentResult:
    """Charge the card on file, ``request.customer.keys.card_key``, off-session
    (renewals, one-click). Send ``request.idempotency_key`` to the processor."""


@hookspec(firstresult=True)
def retrieve_charge(charge: ChargeRef) -> ChargeInfo:
    """Return the processor's current view of ``charge``: the way an unknown
    outcome is settled. If ``charge.processor_key`` is ``None`` (the outcome of
    the first call was never seen), find the charge by its idempotency key, or
    answer ``ChargeStatus.NOT_FOUND``."""


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
    """Pay ``amount`` out to ``provider``'s bank account."""


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
