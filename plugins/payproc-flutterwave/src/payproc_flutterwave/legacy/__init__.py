"""Flutterwave's legacy v2 API through rave_python 1.5, for sites that still
hold v2 keys: ``BACKEND = "payproc_flutterwave.legacy:FlutterwaveV2Backend"``
with ``pip install 'payproc-flutterwave[rave]'``.

Importing this package does not import ``rave_python``: the SDK is loaded
when the backend first talks to Flutterwave (see :mod:`.sdk`).
"""

from __future__ import annotations

from .backend import FlutterwaveV2Backend

__all__ = ["FlutterwaveV2Backend"]
