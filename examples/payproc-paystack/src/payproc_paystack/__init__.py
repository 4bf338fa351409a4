"""payproc-paystack: the Paystack backend for payproc (entry point ``paystack``).

Importing this package imports nothing heavy: payproc loads
:class:`payproc_paystack.backend.PaystackBackend` only when ``PROCESSOR.BACKEND`` is
``"paystack"``.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
