"""Mapping Razorpay's answers to payproc's errors.

The SDK raises ``BadRequestError``, ``GatewayError`` or ``ServerError`` from
the ``error.code`` of the body and keeps only its description; the HTTP
status and the other fields (``reason``, ``source``, ``step``,
``metadata.payment_id``) are kept by :class:`~payproc_razorpay.client.RecordingSession`
and read here:

* 401/403, or ``Authentication failed`` → :class:`ProcessorSetupError`;
* a payment the payer's side refused (a card ``reason``, or ``source``
  bank/customer/issuer at the authorization step) → :class:`CardError` with
  the failed payment's id; ``input_validation_failed`` never is;
* ``GatewayError``, ``ServerError``, 5xx, 409 (the same idempotent request
  still in process), timeouts, connection errors and unreadable answers →
  :class:`OutcomeUnknown`;
* any other 4xx → :class:`ProcessorError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from payproc.errors import CardError, InvalidInput, OutcomeUnknown, ProcessorError, ProcessorSetupError

__all__ = ["CARD_REASONS", "MissingContact", "map_error"]


class MissingContact(InvalidInput):
    """A recurring payment for a customer without the phone (or e-mail)
    Razorpay requires: refused before any request, so nothing changes.
    ``missing`` names what is missing (``phone``, ``email``)."""

    def __init__(self, customer: str, missing: tuple[str, ...]) -> None:
        what = " and ".join(missing)
        super().__init__(
            f"{customer} has no {what}: Razorpay requires the customer's contact (phone, E.164) and e-mail "
            f"for a recurring payment; set it (Payproc.set_phone / add_profile(..., phone=...)) and retry"
        )
        self.customer = customer
        self.missing = missing

#: ``error.reason`` values Razorpay gives for a payment the card or its
#: issuer refused (from Razorpay's error reference).
CARD_REASONS = frozenset(
    {
        "payment_failed",
        "payment_declined",
        "card_declined",
        "insufficient_funds",
        "incorrect_cvv",
        "incorrect_otp",
        "card_expired",
        "expired_card",
        "invalid_card_number",
        "payment_risk_check_failed",
        "authentication_failed",
        "payment_cancelled",
        "transaction_declined",
        "bank_technical_error",
    }
)
_CARD_STEPS = frozenset({"payment_authorization", "payment_authentication"})
#: ``error.source`` values that name the payer's side, not our request.
_CARD_SOURCES = frozenset({"customer", "bank", "issuer", "gateway", "issuer_bank"})


def map_error(
    error: BaseException, detail: Mapping[str, Any] | None, status: int | None, provider: str | None
) -> Exception:
    """The payproc exception for a failed SDK call.

    ``detail`` is the ``error`` object of Razorpay's body and ``status`` the
    HTTP status, when an answer was received.
    """
    detail = detail or {}
    message = str(detail.get("description") or error or type(error).__name__)
    kind = type(error).__name__
    if kind in ("ConnectionError", "Timeout", "ReadTimeout", "ConnectTimeout", "ChunkedEncodingError"):
        return OutcomeUnknown(f"no answer from Razorpay ({kind}); the outcome is unknown", backend_except=error)
    if (status is not None and status >= 500) or kind in ("GatewayError", "ServerError"):
        return OutcomeUnknown(f"Razorpay failed ({status or kind}): {message}", backend_except=error)
    if status == 409:
        # Razorpay: "another request with this idempotency key is in process".
        return OutcomeUnknown(f"Razorpay is still processing the same request: {message}", backend_except=error)
    if status in (401, 403) or message.lower().startswith("authentication failed"):
        return ProcessorSetupError(
            f"Razorpay refused the API keys: {message}", provider, revoked=False, backend_except=error
        )
    if kind == "BadRequestError":
        reason = str(detail.get("reason") or "")
        step = str(detail.get("step") or "")
        source = str(detail.get("source") or "")
        metadata = detail.get("metadata") or {}
        payment_id = metadata.get("payment_id") if isinstance(metadata, Mapping) else None
        validation = reason == "input_validation_failed" or source == "business"
        if not validation and (reason in CARD_REASONS or (step in _CARD_STEPS and source in _CARD_SOURCES)):
            return CardError(message, reason or "card_declined", charge_processor_key=payment_id, backend_except=error)
        return ProcessorError(f"Razorpay refused the request: {message}", backend_except=error)
    if status is None and kind in ("JSONDecodeError", "InvalidJSONError", "ValueError"):
        return OutcomeUnknown(f"unreadable answer from Razorpay ({kind})", backend_except=error)
    return OutcomeUnknown(f"unexpected failure talking to Razorpay ({kind}): {message}", backend_except=error)
