"""Refunds, with the broker's application-fee part.

Stripe calls: ``POST /v1/refunds`` (``refund_application_fee=false``;
``reverse_transfer=true`` for destination charges, so the provider gives back
its share of the refund; the idempotency key also in ``metadata``), then
``POST /v1/application_fees/{id}/refunds`` on the platform for the broker's
part.

``retrieve_refund`` (settling a refund whose answer was lost):
``GET /v1/refunds/{id}`` when payproc has the refund's id, else
``GET /v1/refunds?charge=…`` (or ``payment_intent=…``), every page, matching
the idempotency key kept in the refund's metadata. A list of the charge's
refunds is complete (unlike search), so "not there" is ``NOT_FOUND``.
"""

from __future__ import annotations

from typing import Any

from payproc.errors import IntegrityMismatch, ProcessorError
from payproc.types import ChargeRef, RefundInfo, RefundRef, RefundResult, RefundStatus

from .amounts import from_stripe, to_stripe
from .api import StripeApi
from .builders import IDEMPOTENCY_METADATA
from .charges import timestamp
from .errors import is_missing
from .routing import Route, charge_route

__all__ = ["Refunds"]

#: Stripe's refund statuses as payproc's.
STATUS = {
    "pending": RefundStatus.PENDING,
    "requires_action": RefundStatus.PENDING,
    "succeeded": RefundStatus.SUCCEEDED,
    "failed": RefundStatus.FAILED,
    "canceled": RefundStatus.FAILED,
}


def _info(refund: dict[str, Any]) -> RefundInfo:
    currency = refund["currency"]
    return RefundInfo(
        status=STATUS.get(str(refund.get("status")), RefundStatus.PENDING),
        processor_key=refund["id"],
        amount=from_stripe(refund["amount"], currency),
        currency=currency,
        created_at=timestamp(refund.get("created")),
    )


class Refunds:
    def __init__(self, api: StripeApi) -> None:
        self.api = api

    def refund_charge(self, charge: ChargeRef, amount: int, broker_amount: int, idempotency_key: str) -> RefundResult:
        if not charge.processor_key:
            raise ProcessorError("cannot refund a charge Stripe never confirmed (no processor key)")
        route = charge_route(self.api.settings, charge.provider, charge.broker)
        target = "payment_intent" if charge.processor_key.startswith("pi_") else "charge"
        params: dict[str, Any] = {
            target: charge.processor_key,
            "amount": to_stripe(amount, charge.currency),
            "refund_application_fee": False,
            "metadata": {IDEMPOTENCY_METADATA: idempotency_key},
            "expand": ["charge"],
        }
        if route.destination:
            params["reverse_transfer"] = True
        refund = self.api.request(route, self.api.v1.refunds.create, params=params, idempotency_key=idempotency_key)
        currency = refund["currency"]
        refunded = from_stripe(refund["amount"], currency)
        if currency != charge.currency or refunded != amount:
            raise IntegrityMismatch(f"Stripe refunded {refunded} {currency} for a refund of {amount} {charge.currency}")
        fee_refunded = 0
        expanded = refund.get("charge")
        stripe_charge: dict[str, Any] = expanded if isinstance(expanded, dict) else {}
        fee = stripe_charge.get("application_fee")
        fee_id = fee.get("id") if isinstance(fee, dict) else fee
        if broker_amount > 0 and fee_id:
            # Application fees belong to the platform: no Stripe-Account.
            fee_refund = self.api.request(
                Route(),
                self.api.v1.application_fees.refunds.create,
                fee_id,
                params={"amount": to_stripe(broker_amount, charge.currency)},
                idempotency_key=f"{idempotency_key}:fee",
                setup_party=charge.broker.slug,
            )
            fee_refunded = from_stripe(fee_refund["amount"], fee_refund["currency"])
        return RefundResult(
            processor_key=refund["id"],
            amount=refunded,
            currency=currency,
            created_at=timestamp(refund.get("created")),
            broker_fee_refunded=fee_refunded,
        )

    def refund_behind(self, payment: str, account: str | None, amount: int, currency: str, before: int) -> str | None:
        """The refund a ``charge.refunded`` event reports: on this API version
        the event's charge lists no refunds, so Stripe is asked for the
        payment's refunds (``GET /v1/refunds``) and the newest one of that
        amount made by the event's time is it; ``None`` when none matches."""
        target = "payment_intent" if payment.startswith("pi_") else "charge"
        params = {target: payment, "limit": 100}
        try:
            listed = list(self.api.iterate(Route(account=account), self.api.v1.refunds.list, params))
        except ProcessorError as error:
            if is_missing(error):
                return None
            raise
        matching = [
            item for item in listed
            if item.get("status") != "failed" and item.get("currency") == currency
            and from_stripe(item["amount"], currency) == amount and (item.get("created") or 0) <= before
        ]
        newest = max(matching, key=lambda item: item.get("created") or 0, default=None)
        return str(newest["id"]) if newest else None

    def retrieve_refund(self, refund: RefundRef) -> RefundInfo:
        charge = refund.charge
        route = charge_route(self.api.settings, charge.provider, charge.broker)
        if refund.processor_key:
            try:
                found = self.api.request(route, self.api.v1.refunds.retrieve, refund.processor_key)
            except ProcessorError as error:
                if is_missing(error):
                    return RefundInfo(status=RefundStatus.NOT_FOUND, processor_key=refund.processor_key)
                raise
            return _info(found)
        if not charge.processor_key:
            return RefundInfo(status=RefundStatus.NOT_FOUND)  # no charge at Stripe: nothing to refund
        target = "payment_intent" if charge.processor_key.startswith("pi_") else "charge"
        params = {target: charge.processor_key, "limit": 100}
        for item in self.api.iterate(route, self.api.v1.refunds.list, params):
            if (item.get("metadata") or {}).get(IDEMPOTENCY_METADATA) == refund.idempotency_key:
                return _info(item)
        return RefundInfo(status=RefundStatus.NOT_FOUND)
