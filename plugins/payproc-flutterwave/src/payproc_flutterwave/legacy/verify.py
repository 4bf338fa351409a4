"""Reading Flutterwave's v2 verify answer ourselves (the legacy path).

rave_python 1.5 parses ``POST flwv3-pug/getpaidx/api/v2/verify`` under field
names the v2 API does not use (``flw_ref``, ``tx_ref``, ``charged_amount``,
``transaction_currency``, ``payment_entity`` instead of the documented
``flwref``, ``txref``, ``chargedamount``, ``currency``, ``paymenttype``), so
its result has ``None`` for the very fields a payment must be checked
against. It also reports a failed transaction without raising, and crashes
with ``AttributeError`` on ``"data": null``.

So the raw HTTP answer is read here: the documented v2 names first, the
SDK's names as a fallback (should Flutterwave ever answer with those), amounts
parsed as :class:`~decimal.Decimal` straight from the JSON text (never
through a float), and every error shape mapped to payproc's errors.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from payproc.errors import OutcomeUnknown, ProcessorError, ProcessorSetupError

from ..transaction import (
    Transaction,
    TransactionNotFound,
    as_decimal,
    card_expiry,
    parse_time,
)

__all__ = ["parse_verify_answer", "transaction_from_data"]

#: Messages and codes of Flutterwave's "no such transaction" answer.
_NOT_FOUND_CODES = {"NO TX", "NO_TX", "TRANSACTION_NOT_FOUND"}
_NOT_FOUND_WORDS = ("no transaction found", "transaction not found")
_KEY_WORDS = ("secret key", "seckey", "invalid key", "api key", "authorization")


def _first(data: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        value = data.get(name)
        if value is not None and value != "":
            return value
    return None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def transaction_from_data(data: Mapping[str, Any], tx_ref: str) -> Transaction:
    """Build a :class:`Transaction` from the ``data`` object of a v2 verify
    answer (or of a webhook body, which uses the same or camel-case names)."""
    card = data.get("card")
    card = card if isinstance(card, Mapping) else {}
    currency = _first(data, "currency", "transaction_currency")
    bears = data.get("merchantbearsfee", 1)
    return Transaction(
        tx_ref=str(_first(data, "txref", "txRef", "tx_ref") or tx_ref),
        status=str(data.get("status") or "").lower(),
        flw_ref=_text(_first(data, "flwref", "flwRef", "flw_ref")),
        tx_id=_text(_first(data, "txid", "id")),
        amount=as_decimal(data.get("amount")),
        charged_amount=as_decimal(_first(data, "chargedamount", "charged_amount")),
        currency=str(currency).upper() if currency else None,
        app_fee=as_decimal(_first(data, "appfee", "app_fee")) or Decimal(0),
        merchant_bears_fee=bool(int(bears)) if str(bears).isdigit() else bool(bears),
        charge_code=_text(_first(data, "chargecode", "chargeResponseCode")),
        charge_message=_text(_first(data, "chargemessage", "vbvmessage", "acctmessage")),
        created=parse_time(_first(data, "created", "createdAt", "created_at")),
        card_last4=_text(_first(card, "last4digits", "last_4digits")),
        card_exp=card_expiry(card.get("expirymonth"), card.get("expiryyear")),
        card_brand=_text(_first(card, "type", "brand")),
        card_name=_text(_first(data, "custname")),
    )


def _message(body: Mapping[str, Any], data: Any) -> str:
    if isinstance(data, Mapping) and data.get("message"):
        return str(data["message"])
    return str(body.get("message") or "Flutterwave answered with an error")


def _code(data: Any) -> str | None:
    if isinstance(data, Mapping) and data.get("code"):
        return str(data["code"])
    return None


def parse_verify_answer(status_code: int, content: bytes, tx_ref: str) -> Transaction:
    """Map one HTTP answer of v2 verify to a :class:`Transaction` or an error.

    * 5xx, 429, a body that is not JSON, or a success without data: the
      state is not known (:class:`OutcomeUnknown`);
    * 401/403 or a message about the key: :class:`ProcessorSetupError`;
    * "No transaction found" (with data or ``"data": null``):
      :class:`TransactionNotFound`;
    * any other refusal: :class:`ProcessorError`.
    """
    if status_code >= 500 or status_code == 429:
        raise OutcomeUnknown(f"Flutterwave answered HTTP {status_code} to verify {tx_ref}")
    try:
        body = json.loads(content, parse_float=Decimal)
    except ValueError:
        raise OutcomeUnknown(
            f"Flutterwave answered HTTP {status_code} with a body that is not JSON to verify {tx_ref}"
        ) from None
    if not isinstance(body, Mapping):
        raise OutcomeUnknown(f"Flutterwave answered an unexpected JSON document to verify {tx_ref}")
    data = body.get("data")
    ok = 200 <= status_code < 300 and str(body.get("status", "")).lower() == "success"
    if ok and isinstance(data, Mapping):
        return transaction_from_data(data, tx_ref)
    message = _message(body, data)
    code = _code(data)
    lowered = message.lower()
    if status_code in (401, 403) or any(word in lowered for word in _KEY_WORDS):
        raise ProcessorSetupError(f"Flutterwave refused the secret key: {message}")
    if (code or "").upper() in _NOT_FOUND_CODES or any(word in lowered for word in _NOT_FOUND_WORDS):
        raise TransactionNotFound(message, code or "NO TX")
    if ok:  # "success" without data: nothing to decide on
        raise OutcomeUnknown(f"Flutterwave's verify answer for {tx_ref} carries no transaction data")
    raise ProcessorError(f"Flutterwave refused to verify {tx_ref}: {message}" + (f" ({code})" if code else ""))
