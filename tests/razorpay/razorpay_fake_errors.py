"""Razorpay's error answers and request rules, shared by the fake's stories.

Error bodies have Razorpay's shape: ``{"error": {"code", "description",
"source", "step", "reason", "metadata", "field"}}`` (``code`` is
``BAD_REQUEST_ERROR`` for a refused request; the SDK raises on it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from razorpay_fake_money import CURRENCIES, min_amount


class RazorpayError(Exception):
    """An error answer, in Razorpay's shape."""

    def __init__(
        self,
        description: str,
        *,
        status: int = 400,
        code: str = "BAD_REQUEST_ERROR",
        field: str | None = None,
        source: str = "business",
        step: str = "payment_initiation",
        reason: str = "input_validation_failed",
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.detail = {
            "code": code,
            "description": description,
            "source": source,
            "step": step,
            "reason": reason,
            "metadata": dict(metadata or {}),
            "field": field,
        }

    def body(self) -> dict[str, Any]:
        return {"error": self.detail}


def not_found(what: str = "id") -> RazorpayError:
    return RazorpayError("The id provided does not exist", field=what, source="NA", step="NA", reason="NA")


def public(entity: Mapping[str, Any]) -> dict[str, Any]:
    """An entity without the fake's own ``_`` bookkeeping fields."""
    return {k: v for k, v in entity.items() if not k.startswith("_")}


def notes(value: Any) -> Any:
    if value in (None, {}, []):
        return []
    if not isinstance(value, Mapping):
        raise RazorpayError("The notes field must be an object", field="notes")
    if len(value) > 15:
        raise RazorpayError("Number of fields in notes should be less than or equal to 15", field="notes")
    return {str(k): str(v)[:256] for k, v in value.items()}


def only(data: Mapping[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        raise RazorpayError(f"{', '.join(extra)} is/are not required and should not be sent", field=extra[0],
                            reason="extra_field_sent")


def amount_of(data: Mapping[str, Any], currency: str, name: str = "amount") -> int:
    value = data.get(name)
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RazorpayError(f"The {name} must be an integer.", field=name)
    if value < min_amount(currency):
        raise RazorpayError("Order amount less than minimum amount allowed", field=name, step="order_creation",
                            reason="amount_less_than_minimum_amount")
    if CURRENCIES[currency][0] == 3 and value % 10:
        raise RazorpayError(
            f"The amount for {currency} must have 0 as its last digit (3-decimal currency)", field=name
        )
    return value


def currency_of(data: Mapping[str, Any]) -> str:
    currency = data.get("currency")
    if not isinstance(currency, str) or currency.upper() not in CURRENCIES:
        raise RazorpayError(f"Currency {currency} is not supported", field="currency")
    if currency != currency.upper():
        raise RazorpayError("The currency must be an uppercase ISO code", field="currency")
    return currency


def required(data: Mapping[str, Any], *names: str) -> None:
    """Razorpay's ``The <field> field is required.`` for the first missing one."""
    for name in names:
        if data.get(name) in (None, ""):
            raise RazorpayError(f"The {name} field is required.", field=name)
