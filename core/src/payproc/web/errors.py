"""payproc's exceptions as JSON answers.

Every error answer is ``{"error": <code>, "message": <text for a person>,
...}`` with the status below. The choice of status says what the caller
should do next:

========================================  ======  ==========================================
exception                                 status  meaning for the page
========================================  ======  ==========================================
:class:`~payproc.errors.NoPaymentMethod`  400     no token posted (``token_field`` names the
                                                  field it was expected in) and no card on file
:class:`~payproc.errors.CardDataRefused`  400     a card number reached the server: never post
                                                  card fields, only the processor's token
other :class:`~payproc.errors.InvalidInput` 400   malformed request; nothing happened
``LookupError``                           404     no such charge
:class:`~payproc.errors.InvalidStateTransition` 409 e.g. refunding a charge that is not paid
:class:`~payproc.errors.NotSupportedError` 501    the backend does not do this operation
:class:`~payproc.errors.CardError`        402     declined: show ``message`` to the payer
:class:`~payproc.errors.OutcomeUnknown`   202     checkout / refund: accepted, still in
                                                  progress (settled later); never a failure
                                          503     card update/delete: try again
:class:`~payproc.errors.ProcessorSetupError` 503  the processor refuses *our* account: an
                                                  operator must fix it (details are logged,
                                                  not shown to the payer)
:class:`~payproc.errors.IntegrityMismatch` 502    the processor's answer does not match; the
                                                  charge needs review
other :class:`~payproc.errors.ProcessorError` 502 the processor refused the request
:class:`~payproc.errors.WebhookVerificationError` 400  bad or missing signature (never 500)
========================================  ======  ==========================================
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.responses import JSONResponse

from ..errors import (
    CardDataRefused,
    CardError,
    ConfigurationError,
    IntegrityMismatch,
    InvalidAmount,
    InvalidInput,
    InvalidStateTransition,
    NoPaymentMethod,
    NotSupportedError,
    OutcomeUnknown,
    PayprocError,
    ProcessorError,
    ProcessorSetupError,
    RefundExceedsRemaining,
    UnknownCurrency,
    WebhookVerificationError,
)

__all__ = ["HANDLED", "ApiError", "error_response", "handled"]

LOGGER = logging.getLogger("payproc.web")

#: Shown to a payer instead of the setup error's details (which name accounts).
SETUP_MESSAGE = "Payments are unavailable right now: the merchant's processor account needs attention."


class ApiError(Exception):
    """An error the web layer itself detects (a malformed body, a missing
    field), answered like payproc's own."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def _answer(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": code, "message": message, **extra}, status_code=status)


def _invalid_code(error: InvalidInput) -> str:
    if isinstance(error, CardDataRefused):
        return "card_data_refused"
    if isinstance(error, RefundExceedsRemaining):
        return "refund_exceeds_remaining"
    if isinstance(error, InvalidAmount):
        return "invalid_amount"
    if isinstance(error, UnknownCurrency):
        return "unknown_currency"
    return "invalid_input"


#: The exceptions the endpoints answer as JSON; anything else is a 500.
HANDLED: tuple[type[Exception], ...] = (ApiError, PayprocError, LookupError)


def handled(error: BaseException) -> bool:
    """True when :func:`error_response` has an answer for ``error``."""
    if isinstance(error, ConfigurationError):
        return False
    return isinstance(error, HANDLED)


def error_response(error: Exception, *, token_field: str = "processor_token", in_progress: bool = False,
                   **extra: Any) -> JSONResponse | None:
    """The JSON answer for ``error``, or None when it is not one of ours
    (let it become a 500). ``in_progress`` answers an unknown outcome with
    202 (the operation stays in progress) instead of 503."""
    if isinstance(error, ApiError):
        return _answer(error.status, error.code, error.message, **error.extra, **extra)
    if isinstance(error, NoPaymentMethod):
        return _answer(
            400, "no_payment_method",
            f"{error.message} The processor token is expected in the {token_field!r} field of the POST body.",
            token_field=token_field, **extra)
    if isinstance(error, InvalidInput):
        return _answer(400, _invalid_code(error), str(error), **extra)
    if isinstance(error, LookupError):
        return _answer(404, "not_found", str(error.args[0]) if error.args else "not found", **extra)
    if isinstance(error, InvalidStateTransition):
        return _answer(409, "invalid_state", str(error), **extra)
    if isinstance(error, NotSupportedError):
        return _answer(501, "not_supported", str(error), **extra)
    if isinstance(error, WebhookVerificationError):
        return _answer(400, "webhook_verification_failed", str(error), **extra)
    if isinstance(error, CardError):
        return _answer(402, error.code or "card_declined", error.message, type="card_error", **extra)
    if isinstance(error, OutcomeUnknown):
        message = ("The processor did not confirm the outcome in time. Nothing is lost: "
                   "it is checked with the processor and settled; do not pay again.")
        if in_progress:
            return _answer(202, "outcome_unknown", message, **extra)
        response = _answer(503, "outcome_unknown", "The processor could not be reached; try again.", **extra)
        response.headers["Retry-After"] = "5"
        return response
    if isinstance(error, ProcessorSetupError):
        LOGGER.error("processor setup error: %s", error)
        return _answer(503, "processor_setup_error", SETUP_MESSAGE, **extra)
    if isinstance(error, IntegrityMismatch):
        LOGGER.error("integrity mismatch: %s", error)
        return _answer(502, "integrity_mismatch", error.message, **extra)
    if isinstance(error, ProcessorError):
        return _answer(502, "processor_error", error.message, **extra)
    return None
