"""``charge_distribution``: how a Stripe charge splits between the provider,
Stripe and the broker, read from the charge's balance transactions and
following Stripe's documented fund flow for each kind of charge:

* **direct charge** (REMOTE, provider's plan: the charge lives on the
  provider's connected account): Stripe's fee and the application fee both
  leave the provider's balance. The balance transaction's ``fee_details``
  hold both (``stripe_fee``, ``application_fee``); its ``net`` is the
  provider's share. Each application-fee refund gives its amount back to the
  provider.
* **destination charge** (FORWARD, provider's plan: the charge lives on the
  platform with ``transfer_data.destination``): the whole amount is
  transferred to the provider and the application fee comes back from it;
  Stripe's fee is debited from the *platform's* balance (Stripe: "your
  account balance is debited for the cost of the Stripe fees, refunds, and
  chargebacks"). So the provider's share is the transfer less its reversals
  less the application fee kept, and the broker's is what the platform keeps:
  the application fee less Stripe's fee. When the application fee is smaller
  than Stripe's fee that share is negative: the platform paid to process the
  provider's sale, and the books say so.
* **charges on the platform** (LOCAL, and any broker's own plan): one
  balance. The seed's arithmetic (CONTRACT.md section 9): ``net`` is
  distributed; with a broker fee, the broker's part is taken out of it and the
  broker absorbs Stripe's fee (never below zero).
* separate charges and transfers are not used by any mode.

Refunds: each refund's balance transaction ``net`` (negative) and
``stripe_fee`` are counted; the parts add up to ``amount - refunded`` for the
``refunded`` the core passes, even before Stripe has made that refund (the
difference moves the provider's share).

Stripe call: ``GET /v1/charges/{id}`` expanding ``application_fee``,
``balance_transaction``, ``refunds``, ``refunds.data.balance_transaction``
and ``transfer``.
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

EXPAND = ["application_fee", "balance_transaction", "refunds", "refunds.data.balance_transaction", "transfer"]


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


def _fee_kept(application_fee: dict[str, Any] | None) -> int:
    """The application fee the broker still holds (amount less its refunds)."""
    if not application_fee:
        return 0
    refunded = sum(
        from_stripe(item["amount"], item["currency"])
        for item in (application_fee.get("refunds") or {}).get("data") or []
    )
    return from_stripe(application_fee["amount"], application_fee["currency"]) - refunded


def _refunds(charge: dict[str, Any]) -> tuple[int, int]:
    """``(sum of refund nets, Stripe's fees on refunds)`` from the refunds' balance transactions."""
    net = fees = 0
    for refund in (charge.get("refunds") or {}).get("data") or []:
        transaction = _expanded(refund.get("balance_transaction"), "refunds.data.balance_transaction")
        net += from_stripe(transaction["net"], transaction["currency"])
        fees += _fees(transaction, "stripe_fee")
    return net, fees


def _destination(charge: dict[str, Any], unit: str, processor_fee: int, remaining: int) -> Distribution:
    transfer = _expanded(charge.get("transfer"), "transfer")
    application_fee = charge.get("application_fee")
    if isinstance(application_fee, str):
        application_fee = _expanded(None, "application_fee")
    provider = from_stripe(transfer["amount"] - (transfer.get("amount_reversed") or 0), transfer["currency"])
    provider -= _fee_kept(application_fee)
    return Distribution(
        distribute_amount=provider,
        distribute_unit=unit,
        processor_fee_amount=processor_fee,
        processor_fee_unit=unit,
        broker_fee_amount=remaining - provider - processor_fee,
        broker_fee_unit=unit,
    )


def split(charge: dict[str, Any], *, mode: Mode, broker_fee_amount: int, refunded: int | None = None) -> Distribution:
    """The distribution of a charge retrieved with :data:`EXPAND` (pure)."""
    transaction = _expanded(charge.get("balance_transaction"), "balance_transaction")
    unit = transaction["currency"]
    refund_net, refund_fees = _refunds(charge)
    processor_fee = _fees(transaction, "stripe_fee") + refund_fees
    # What payproc's refunds and Stripe's differ by (a refund not made yet, or made outside payproc).
    pending = 0
    if refunded is not None and unit == charge.get("currency"):
        pending = from_stripe(charge.get("amount_refunded") or 0, unit) - refunded
    if charge.get("transfer"):
        remaining = from_stripe(charge["amount"] - (charge.get("amount_refunded") or 0), charge["currency"])
        got = _destination(charge, unit, processor_fee, remaining)
        return Distribution(got.distribute_amount + pending, unit, processor_fee, unit, got.broker_fee_amount, unit)
    distribute = from_stripe(transaction["net"], unit) + refund_net + pending
    broker_fee = _fees(transaction, "application_fee")
    application_fee = charge.get("application_fee")
    if isinstance(application_fee, str):
        application_fee = _expanded(None, "application_fee")
    if application_fee:
        fee_amount = from_stripe(application_fee["amount"], application_fee["currency"])
        if not broker_fee:  # not in fee_details: take it out of what is distributed
            distribute -= fee_amount
        kept = _fee_kept(application_fee)
        distribute += fee_amount - kept  # application-fee refunds go back to the provider
        broker_fee = kept
    elif not application_fee and broker_fee_amount:
        broker_fee = broker_fee_amount
        distribute -= broker_fee
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
    route = charge_route(api.settings, charge.provider, charge.broker)
    key = charge.processor_key
    if key and key.startswith("pi_"):  # a payment that waited on the customer: its charge
        try:
            latest = api.request(route, api.v1.payment_intents.retrieve, key).get("latest_charge")
        except ProcessorError as error:
            if is_missing(error):
                return remaining
            raise
        key = latest.get("id") if isinstance(latest, dict) else latest
    if not key or not key.startswith(("ch_", "py_")):
        return remaining
    try:
        found = api.request(route, api.v1.charges.retrieve, key, params={"expand": EXPAND})
    except ProcessorError as error:
        if is_missing(error):
            return remaining
        raise
    return split(found, mode=api.settings.MODE, broker_fee_amount=broker_fee_amount, refunded=refunded)
