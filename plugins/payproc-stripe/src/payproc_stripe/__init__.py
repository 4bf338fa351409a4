"""payproc-stripe: the Stripe backend for payproc.

``import payproc_stripe`` does not import the ``stripe`` SDK; the backend
imports it when it first talks to Stripe.
"""

from __future__ import annotations

from .backend import StripeBackend
from .settings import Mode, StripeSettings

__all__ = ["Mode", "StripeBackend", "StripeSettings"]
__version__ = "0.1.0"
