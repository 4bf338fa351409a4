"""payproc's HTTP side (the ``payproc[web]`` extra): JSON endpoints for the
checkout and the processor's webhooks, and a demo checkout page.

    from payproc import Payproc
    from payproc.web import create_app

    app = create_app(Payproc())          # a Starlette app: mount it anywhere
    # FastAPI / Starlette:  main_app.mount("/payments", app)

The endpoints (relative to where the app is mounted) are listed in
:mod:`payproc.web.app`, the error statuses in :mod:`payproc.web.errors`.
:func:`serve` runs the app with uvicorn on loopback (``payproc serve``).
"""

from __future__ import annotations

try:
    import starlette  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the installation
    raise ImportError(
        "payproc.web needs the 'web' extra: pip install 'payproc[web]'"
    ) from error

from .app import create_app
from .server import serve

__all__ = ["create_app", "serve"]
