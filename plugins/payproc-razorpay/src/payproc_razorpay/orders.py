"""Razorpay Orders: the server-side half of every checkout.

An order is created once per charge: its ``receipt`` is derived from the
charge's idempotency key and looked up first (``GET /v1/orders?receipt=``),
so a reloaded checkout page or a retried renewal reuses the order instead of
opening a second one. Razorpay documents receipts as unique ("Order receipt
should be unique."): when two requests race for one key, the second create is
refused and the order the first one made is found and used. Only the order
the core stored as the charge's reference is ever accepted afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from payproc.errors import ProcessorError

from .amounts import mismatch, receipt_for
from .client import RazorpayClient

__all__ = ["find_or_create_order", "find_order", "is_recurring", "order_payments"]


def find_order(client: RazorpayClient, idempotency_key: str, provider: str | None = None) -> Mapping[str, Any] | None:
    """The newest order whose receipt belongs to ``idempotency_key``."""
    receipt = receipt_for(idempotency_key)
    found = client.call(client.sdk.order.all, {"receipt": receipt, "count": 10}, provider=provider)
    items = [item for item in found.get("items", []) if item.get("receipt") == receipt]
    return max(items, key=lambda item: item.get("created_at", 0)) if items else None


def find_or_create_order(
    client: RazorpayClient,
    *,
    amount: int,
    currency: str,
    idempotency_key: str | None,
    notes: Mapping[str, str],
    provider: str | None,
    capture: bool,
    extra: Mapping[str, Any] | None = None,
) -> Mapping[str, Any]:
    """Reuse the order of ``idempotency_key`` or create it.

    ``capture`` is the order's ``payment_capture``: with it Razorpay captures
    the payment as soon as it is authorized (Razorpay's documented setting for
    recurring debits, which are authorized hours after the request).

    An existing order for another amount or currency means the key was reused
    for a different charge: :class:`IntegrityMismatch`.
    """
    if idempotency_key:
        order = find_order(client, idempotency_key, provider)
        if order is not None:
            if order.get("amount") != amount or str(order.get("currency", "")).lower() != currency:
                raise mismatch(f"Razorpay order {order.get('id')} of this charge's key", order, amount, currency)
            return order
    data: dict[str, Any] = {
        "amount": amount,
        "currency": currency.upper(),
        "payment_capture": capture,
        "notes": dict(notes),
    }
    if idempotency_key:
        data["receipt"] = receipt_for(idempotency_key)
    data.update(extra or {})
    try:
        order = client.call(client.sdk.order.create, data, provider=provider)
    except ProcessorError as error:
        raced = find_order(client, idempotency_key, provider) if idempotency_key and _receipt_taken(error) else None
        if raced is None:
            raise
        order = raced  # a concurrent request created the key's order first
    if order.get("amount") != amount or str(order.get("currency", "")).lower() != currency:
        raise mismatch(f"Razorpay order {order.get('id')}", order, amount, currency)
    return order


def _receipt_taken(error: ProcessorError) -> bool:
    text = str(error).lower()
    return type(error) is ProcessorError and "receipt" in text and "unique" in text


def order_payments(client: RazorpayClient, order_id: str, provider: str | None = None) -> list[Mapping[str, Any]]:
    """Payments made against ``order_id``, newest first."""
    found = client.call(client.sdk.order.payments, order_id, provider=provider)
    return sorted(found.get("items", []), key=lambda item: item.get("created_at", 0), reverse=True)


def is_recurring(order: Mapping[str, Any]) -> bool:
    """An order ``create_charge`` opened for a charge on the card on file
    (no customer is there to try again on it)."""
    notes = order.get("notes")
    return isinstance(notes, Mapping) and notes.get("payproc_flow") == "recurring"
