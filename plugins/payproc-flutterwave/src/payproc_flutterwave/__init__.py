"""payproc-flutterwave: the Flutterwave backend for payproc (experimental).

Importing this package does not import ``rave_python``: the SDK is loaded
when the backend first talks to Flutterwave (see :mod:`.sdk`).
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
