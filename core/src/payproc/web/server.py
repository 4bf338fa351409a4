"""``serve``: run the web app with uvicorn (``payproc serve``,
``payproc demo --web``)."""

from __future__ import annotations

import ipaddress
import logging

from ..app import Payproc
from .app import create_app

__all__ = ["serve"]

LOGGER = logging.getLogger("payproc.web")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(payproc_app: Payproc, host: str = "127.0.0.1", port: int = 8000, *,
          customer: str = "demo", log_level: str = "info") -> None:
    """Create the tables and the ``customer`` profile if missing, then serve
    the checkout page and endpoints until interrupted. The default customer
    and the unauthenticated back-office endpoints make this a demo: it warns
    when bound to anything but loopback."""
    import uvicorn

    if not _is_loopback(host):
        LOGGER.warning("payproc.web.serve on %s: the demo endpoints are unauthenticated; "
                       "mount create_app() behind your application's authentication instead", host)
    payproc_app.init_db()
    payproc_app.add_profile(customer, customer.title())
    uvicorn.run(create_app(payproc_app, default_customer=customer), host=host, port=port, log_level=log_level)
