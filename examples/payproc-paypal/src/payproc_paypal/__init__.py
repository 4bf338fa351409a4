"""payproc-paypal: a PayPal (Orders v2) backend for payproc (entry point ``paypal``).

An example of a redirect processor: the customer approves the payment on
PayPal's page and comes back; webhooks are verified by asking PayPal
(``webhook_verification = "fetch"``). Importing this package imports nothing
heavy: payproc loads :class:`payproc_paypal.backend.PayPalBackend` only when
``PROCESSOR.BACKEND`` is ``"paypal"``.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
