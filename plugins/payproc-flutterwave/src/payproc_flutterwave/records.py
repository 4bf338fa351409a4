"""Reading v3 transactions and refunds (the ``data`` of v3 answers and
webhooks) into payproc's shapes.

v3 names (``GET /v3/transactions/{id}/verify``): ``id``, ``tx_ref``,
``flw_ref``, ``amount``, ``currency``, ``charged_amount``, ``app_fee``,
``merchant_fee``, ``processor_response``, ``status``, ``payment_type``,
``created_at``, ``auth_url``, ``customer`` {``email``, ``name``}, ``card``
{``first_6digits``, ``last_4digits``, ``issuer``, ``country``, ``type``,
``token``, ``expiry`` "MM/YY"}. Refunds (``POST
/v3/transactions/{id}/refund``, ``GET /v3/refunds``): ``id``,
``amount_refunded``, ``status``, ``flw_ref``, ``comments``, ``tx_id`` or
``transaction_id``, ``created_at``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from .client import FlutterwaveAPIError
from .transaction import (
    Transaction,
    TransactionNotFound,
    as_decimal,
    card_expiry,
    parse_time,
)

__all__ = ["RefundRecord", "not_found", "refund_from_data", "transaction_from_data"]

_NOT_FOUND_WORDS = ("no transaction", "transaction not found", "not found")
_NO_AUTH_URL = {"", "N/A", "n/a", "null"}


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def transaction_from_data(data: Mapping[str, Any]) -> Transaction:
    """A :class:`Transaction` from a v3 transaction object."""
    card = _mapping(data.get("card"))
    customer = _mapping(data.get("customer"))
    expiry = str(card.get("expiry") or "")
    month, _, year = expiry.partition("/")
    currency = data.get("currency")
    auth_url = _text(data.get("auth_url"))
    return Transaction(
        tx_ref=str(data.get("tx_ref") or ""),
        status=str(data.get("status") or "").lower(),
        flw_ref=_text(data.get("flw_ref")),
        tx_id=_text(data.get("id")),
        amount=as_decimal(data.get("amount")),
        charged_amount=as_decimal(data.get("charged_amount")),
        currency=str(currency).upper() if currency else None,
        app_fee=as_decimal(data.get("app_fee")) or Decimal(0),
        merchant_fee=as_decimal(data.get("merchant_fee")) or Decimal(0),
        charge_code=_text(data.get("status")),
        charge_message=_text(data.get("processor_response")),
        created=parse_time(data.get("created_at")),
        card_last4=_text(card.get("last_4digits")),
        card_exp=card_expiry(month, year) if month and year else None,
        card_brand=_text(card.get("type")),
        card_name=_text(customer.get("name")),
        card_token=_text(card.get("token")),
        customer_email=_text(customer.get("email")),
        auth_url=None if auth_url in _NO_AUTH_URL else auth_url,
        payment_type=_text(data.get("payment_type")),
    )


def not_found(error: FlutterwaveAPIError) -> TransactionNotFound | None:
    """Flutterwave's "No transaction was found for this id" (HTTP 400/404)
    as :class:`TransactionNotFound`; ``None`` for any other refusal."""
    lowered = error.flw_message.lower()
    if error.status_code in (400, 404) and any(word in lowered for word in _NOT_FOUND_WORDS):
        return TransactionNotFound(str(error), "NO TX")
    return None


@dataclass(frozen=True, slots=True)
class RefundRecord:
    """One v3 refund, amounts in major units as sent."""

    id: str
    amount: Decimal | None
    status: str
    transaction_id: str | None
    comments: str
    created: datetime | None

    @property
    def succeeded(self) -> bool:
        return self.status in ("completed", "successful", "success")

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "error", "declined")


def refund_from_data(data: Mapping[str, Any]) -> RefundRecord:
    transaction = data.get("tx_id", data.get("transaction_id"))
    return RefundRecord(
        id=str(data.get("id") or ""),
        amount=as_decimal(data.get("amount_refunded")),
        status=str(data.get("status") or "").lower(),
        transaction_id=_text(transaction),
        comments=str(data.get("comments") or data.get("comment") or ""),
        created=parse_time(data.get("created_at")),
    )
