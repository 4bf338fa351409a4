"""payproc-stripe: the Stripe backend for payproc.

``import payproc_stripe`` does not import the ``stripe`` SDK; the backend
imports it when it first talks to Stripe. Its names are imported on first
use, so loading the entry point (``payproc_stripe.backend``) does not import
the settings model (pydantic).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .backend import StripeBackend
    from .settings import Mode, StripeSettings

__all__ = ["Mode", "StripeBackend", "StripeSettings"]
__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    if name == "StripeBackend":
        from .backend import StripeBackend

        return StripeBackend
    if name in ("Mode", "StripeSettings"):
        from . import settings

        return getattr(settings, name)
    raise AttributeError(f"module 'payproc_stripe' has no attribute {name!r}")
