"""payproc backend for Razorpay.

Importing this package imports neither the ``razorpay`` SDK nor ``requests``:
the SDK client is built on first use (see :mod:`payproc_razorpay.client`), so
``payproc backends`` can list and inspect the backend without it.
"""

from __future__ import annotations

__all__ = ["RazorpayBackend", "RazorpaySettings"]


def __getattr__(name: str) -> object:
    if name == "RazorpayBackend":
        from .backend import RazorpayBackend

        return RazorpayBackend
    if name == "RazorpaySettings":
        from .settings import RazorpaySettings

        return RazorpaySettings
    raise AttributeError(f"module 'payproc_razorpay' has no attribute {name!r}")
