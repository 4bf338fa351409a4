"""payproc: take payments through one processor backend chosen by
configuration, and keep an exact, double-entry record of every charge,
refund, dispute and payout.

``import payproc`` stays light: it imports no processor SDK, no plugin and no
database layer. The runtime (:class:`payproc.app.Payproc`) and the flows load
on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._markers import hookimpl
from ._version import CONTRACT_VERSION, __version__
from .errors import (
    BackendNotFound,
    CardDataRefused,
    CardError,
    ConfigurationError,
    ContractMismatch,
    InsufficientFunds,
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

if TYPE_CHECKING:
    from .app import Payproc
    from .settings import BackendSettings, Settings, load_settings

__all__ = [
    "CONTRACT_VERSION",
    "BackendNotFound",
    "BackendSettings",
    "CardDataRefused",
    "CardError",
    "ConfigurationError",
    "ContractMismatch",
    "InsufficientFunds",
    "IntegrityMismatch",
    "InvalidAmount",
    "InvalidInput",
    "InvalidStateTransition",
    "NoPaymentMethod",
    "NotSupportedError",
    "OutcomeUnknown",
    "Payproc",
    "PayprocError",
    "ProcessorError",
    "ProcessorSetupError",
    "RefundExceedsRemaining",
    "Settings",
    "UnknownCurrency",
    "WebhookVerificationError",
    "__version__",
    "hookimpl",
    "load_settings",
]

_LAZY = {
    "Payproc": "payproc.app",
    "Settings": "payproc.settings",
    "BackendSettings": "payproc.settings",
    "load_settings": "payproc.settings",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'payproc' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
