"""``charge_distribution``: how a Stripe charge splits between the provider,
Stripe and the broker, read from the charge's balance transactions.

The arithmetic is the seed's (CONTRACT.md section 9):

* ``distribute`` starts at the charge's balance transaction ``net``; its
  ``fee_details`` of type ``stripe_fee`` make the processor fee and those of
  type ``application_fee`` the broker fee (direct charges);
* a destination charge shows no application fee in ``fee_details``: the
  broker fee is then the ``application_fee`` object's amount, taken out of
  ``distribute``; with no application fee at all, the broker fee the core
  computed (``broker_fee_amount``) is taken out instead;
* each application-fee refund gives its amount back to ``distribute``;
* each charge refund adds its (negative) balance transaction ``net`` to
  ``distribute`` and its ``stripe_fee`` to the processor fee;
* in LOCAL mode with a broker fee, the broker absorbs Stripe's fee;
* the parts add up to ``amount - refunded`` for the ``refunded`` the core
  passes, even before Stripe has made that refund.

Stripe call: ``GET /v1/charges/{id}`` expanding ``application_fee``,
``balance_transaction``, ``refunds`` and ``refunds.data.balance_transaction``.
"""

from __future__ import annotations

from typing import Any

from payproc.errors import IntegrityMismatch, ProcessorError
from payproc.types import ChargeRef, Distribution

from .amounts import from_stripe
from .api import StripeApi
from .errors import is_missing
from .routing import charge_route
from .settings import Mode

__all__ = ["EXPAND", "charge_distribution", "split"]

EXPAND = ["application_fee", "balance_transaction", "refunds", "refunds.data.balance_transaction"]


def _fees(transaction: dict[str, Any], kind: str) -> int:
    currency = transaction["currency"]
    return sum(
        from_stripe(fee["amount"], fee.get("currency") or currency)
        for fee in transaction.get("fee_details") or []
        if fee.get("type") == kind
    )


def _expanded(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProcessorError(f"Stripe did not expand {what}")
    return value


def split(charge: dict[str, Any], *, mode: Mode, broker_fee_amount: int, refunded: int | None = None) -> Distribution:
    """The distribution of a charge retrieved with :data:`EXPAND` (pure).

    When ``refunded`` (the core's view) differs from what Stripe has refunded
    so far — a refund not made yet, or made outside payproc — the difference
    moves ``distribute`` so the parts add up to ``amount - refunded`` (the
    contract), while the fees stay Stripe's.
    """
    transaction = _expanded(charge.get("balance_transaction"), "balance_transaction")
    unit = transaction["currency"]
    distribute = from_stripe(transaction["net"], unit)
    processor_fee = _fees(transaction, "stripe_fee")
    broker_fee = _fees(transaction, "application_fee")
    application_fee = charge.get("application_fee")
    if isinstance(application_fee, str):
        application_fee = _expanded(None, "application_fee")
    if application_fee and not broker_fee:
        broker_fee = from_stripe(application_fee["amount"], application_fee["currency"])
        distribute -= broker_fee
    elif not application_fee and not broker_fee and broker_fee_amount:
        broker_fee = broker_fee_amount
        distribute -= broker_fee
    if application_fee:
        for fee_refund in (application_fee.get("refunds") or {}).get("data") or []:
            amount = from_stripe(fee_refund["amount"], fee_refund["currency"])
            broker_fee -= amount
            distribute += amount
    for refund in (charge.get("refunds") or {}).get("data") or []:
        refund_transaction = _expanded(refund.get("balance_transaction"), "refunds.data.balance_transaction")
        distribute += from_stripe(refund_transaction["net"], refund_transaction["currency"])
        processor_fee += _fees(refund_transaction, "stripe_fee")
    if refunded is not None and unit == charge.get("currency"):
        distribute += from_stripe(charge.get("amount_refunded") or 0, unit) - refunded
    if mode == Mode.LOCAL and broker_fee_amount:
        distribute += processor_fee
        broker_fee -= processor_fee
        if broker_fee < 0:
            raise IntegrityMismatch(
                f"Stripe's fee {processor_fee} {unit} exceeds the broker fee {broker_fee_amount} on {charge.get('id')}"
            )
    return Distribution(
        distribute_amount=distribute,
        distribute_unit=unit,
        processor_fee_amount=processor_fee,
        processor_fee_unit=unit,
        broker_fee_amount=broker_fee,
        broker_fee_unit=unit,
    )


def charge_distribution(api: StripeApi, charge: ChargeRef, refunded: int, broker_fee_amount: int) -> Distribution:
    """Retrieve ``charge`` and split it; an unknown charge keeps all of it."""
    unit = charge.currency
    remaining = Distribution(charge.amount - refunded, unit, 0, unit, 0, unit)
    if not charge.processor_key:
        return remaining
    route = charge_route(api.settings, charge.provider, charge.broker)
    try:
        found = api.request(route, api.v1.charges.retrieve, charge.processor_key, params={"expand": EXPAND})
    except ProcessorError as error:
        if is_missing(error):
            return remaining
        raise
    return split(found, mode=api.settings.MODE, broker_fee_amount=broker_fee_amount, refunded=refunded)
