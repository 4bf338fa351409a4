"""The exceptions payproc raises, and what each one tells the caller.

The hierarchy is shallow on purpose. What an application has to decide after
a payment call is one of four things:

* :class:`CardError` — the processor answered and said no to *this card*
  (declined, expired, insufficient funds). Show the message to the payer;
  nothing was charged.
* :class:`ProcessorSetupError` — the processor answered and said no to *us*:
  a key is wrong or revoked, an account is not connected. Nothing was charged;
  an operator must fix the configuration of ``provider``.
* :class:`OutcomeUnknown` — the processor could not be reached, timed out or
  answered 5xx. The charge may or may not exist. It stays in progress with its
  idempotency key and is settled later through ``retrieve_charge``; it is
  never reported as failed.
* any other :class:`ProcessorError` — the processor refused the request for a
  reason that is neither the card's nor the configuration's.

Everything else is the caller's mistake (:class:`InvalidInput`) or the
installation's (:class:`ConfigurationError`), detected before any money moves.

Messages never include secrets: keys and webhook secrets are
:class:`pydantic.SecretStr` everywhere and no error formats them.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BackendNotFound",
    "CardDataRefused",
    "CardError",
    "ConfigurationError",
    "ContractMismatch",
    "DatabaseOutOfDate",
    "IrreversibleMigration",
    "InsufficientFunds",
    "InvalidAmount",
    "InvalidInput",
    "InvalidStateTransition",
    "IntegrityMismatch",
    "NoPaymentMethod",
    "NotSupportedError",
    "OutcomeUnknown",
    "PayprocDeprecationWarning",
    "PayprocError",
    "ProcessorError",
    "ProcessorSetupError",
    "RefundExceedsRemaining",
    "SettingsWarning",
    "UnknownCurrency",
    "WebhookVerificationError",
]


class PayprocError(Exception):
    """Base class of every error payproc raises on purpose."""


# --- the installation -------------------------------------------------------


class ConfigurationError(PayprocError):
    """Settings are missing or invalid, or the backend cannot be loaded."""


class BackendNotFound(ConfigurationError):
    """``PROCESSOR.BACKEND`` names no installed backend."""


class ContractMismatch(ConfigurationError):
    """A backend declares a contract range that excludes this core's version."""


class DatabaseOutOfDate(ConfigurationError):
    """The database's schema is older (or newer) than the installed payproc's
    migrations; the message says which command brings it up to date."""


class IrreversibleMigration(ConfigurationError):
    """A downgrade asked to undo a revision that cannot be undone without
    losing money records; nothing was changed."""


class NotSupportedError(PayprocError):
    """The active backend registers no hookimpl for an operation."""

    def __init__(self, backend: str, operation: str, reason: str | None = None) -> None:
        self.backend = backend
        self.operation = operation
        self.reason = reason
        message = f"backend {backend!r} does not support {operation}"
        if reason:
            message += f": {reason}"
        super().__init__(message)


# --- the caller's input -----------------------------------------------------


class InvalidInput(PayprocError, ValueError):
    """The request is malformed; nothing was sent to the processor and nothing
    was stored."""


class InvalidAmount(InvalidInput):
    """An amount that is not a positive integer number of minor units, or has
    more precision than its currency."""


class UnknownCurrency(InvalidInput):
    """A currency code that ISO 4217 does not know."""


class CardDataRefused(InvalidInput):
    """Raw card data (a card number or a CVC) reached payproc.

    payproc only ever handles processor tokens (PCI DSS SAQ A). The offending
    value is not repeated in the message and is never stored or logged.
    """


class RefundExceedsRemaining(InvalidInput):
    """A refund larger than what is left of the charge; refused before the
    processor is called. ``amount`` (asked) and ``remaining`` are in minor
    units of ``currency``; the message shows them as people read them."""

    def __init__(self, message: str, *, charge_id: int | None = None, amount: int | None = None,
                 remaining: int | None = None, currency: str | None = None) -> None:
        super().__init__(message)
        self.charge_id = charge_id
        self.amount = amount
        self.remaining = remaining
        self.currency = currency


class InsufficientFunds(InvalidInput):
    """A payout larger than the provider's available funds (minus the
    payout fee); refused before the processor is called. Figures in minor
    units of ``currency``."""

    def __init__(self, message: str, *, provider: str, amount: int, fee: int, available: int,
                 currency: str) -> None:
        super().__init__(message)
        self.provider = provider
        self.amount = amount
        self.fee = fee
        self.available = available
        self.currency = currency


class InvalidStateTransition(PayprocError):
    """A transition the charge's state machine does not allow (refunding a
    failed charge, winning a dispute that was never opened…)."""


# --- the processor ----------------------------------------------------------


class ProcessorError(PayprocError):
    """The processor refused or failed a request; its outcome is known."""

    def __init__(self, message: str, *, backend_except: BaseException | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.backend_except = backend_except

    def processor_details(self) -> str:
        """The processor's own exception text, for logs (never a secret)."""
        return "" if self.backend_except is None else str(self.backend_except)


class CardError(ProcessorError):
    """The processor declined the card. ``code`` is the processor's code
    (``card_declined``, ``expired_card``, ``BAD_REQUEST_ERROR``…) and
    ``charge_processor_key`` the id of the failed charge when there is one."""

    def __init__(
        self,
        message: str,
        code: str,
        *,
        charge_processor_key: str | None = None,
        backend_except: BaseException | None = None,
    ) -> None:
        super().__init__(message, backend_except=backend_except)
        self.code = code
        self.charge_processor_key = charge_processor_key


class ProcessorSetupError(ProcessorError):
    """The processor account of ``provider`` (a profile slug) is missing or
    misconfigured: no key, revoked key, account not connected. ``revoked`` is
    true when the processor says the stored keys no longer work, so the core
    clears them."""

    def __init__(
        self,
        message: str,
        provider: str | None = None,
        *,
        revoked: bool = False,
        backend_except: BaseException | None = None,
    ) -> None:
        super().__init__(message, backend_except=backend_except)
        self.provider = provider
        self.revoked = revoked

    def __str__(self) -> str:
        return f"{self.message} (provider: {self.provider})" if self.provider else self.message


class OutcomeUnknown(ProcessorError):
    """The processor was unreachable, timed out or failed with 5xx after the
    request may have taken effect. Retry with the same idempotency key, or
    settle through ``retrieve_charge``; never treat it as a failure."""


class IntegrityMismatch(ProcessorError):
    """The processor's answer does not match the request (another amount or
    currency). The charge is not marked done. When the core detects it,
    ``expected`` and ``answered`` are the (minor units, currency) pairs."""

    def __init__(self, message: str, *, expected: tuple[int, str] | None = None,
                 answered: tuple[int, str] | None = None, backend_except: BaseException | None = None) -> None:
        super().__init__(message, backend_except=backend_except)
        self.expected = expected
        self.answered = answered


class NoPaymentMethod(ProcessorError):
    """Checkout without a token for a profile with no card on file."""

    def __init__(self, profile: str) -> None:
        super().__init__(
            f"{profile} is not associated to an account on the processor and no token was passed."
        )
        self.profile = profile


# --- webhooks ---------------------------------------------------------------


class WebhookVerificationError(PayprocError):
    """A callback whose signature is missing, malformed, wrong or stale, or
    that arrives when no webhook secret is configured. Answer 400."""


# --- warnings ---------------------------------------------------------------


class SettingsWarning(UserWarning):
    """A setting payproc reads but ignores (a djaodjin-saas key it has no use
    for). Shown by Python's default warning filters."""


class PayprocDeprecationWarning(FutureWarning):
    """A setting that still works but will not (a djaodjin-saas dotted
    backend path). A :class:`FutureWarning`, not a DeprecationWarning: settings
    are written by whoever runs the application, and Python's default filters
    hide DeprecationWarnings raised outside ``__main__``. ``payproc check``
    reports them too."""


def redact(value: Any) -> str:
    """A placeholder for a value that must not be shown."""
    return "**********" if value else ""
