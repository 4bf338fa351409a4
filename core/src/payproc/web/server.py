"""``serve``: run the web app with uvicorn (``payproc serve``,
``payproc demo --web``)."""

from __future__ import annotations

import ipaddress
import logging

from ..app import Payproc
from .app import create_app

__all__ = ["serve", "webhook_url"]

LOGGER = logging.getLogger("payproc.web")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def webhook_url(base: str, backend: str) -> str:
    """The URL the processor must post its callbacks to, for an app served
    (or mounted) at ``base``."""
    return f"{base.rstrip('/')}/webhooks/{backend}"


def serve(payproc_app: Payproc, host: str = "127.0.0.1", port: int = 8000, *, demo: bool = False,
          customer: str = "demo", log_level: str = "info") -> None:
    """Serve until interrupted.

    Without ``demo`` (``payproc serve``): the webhook and checkout endpoints
    only, on the database as it is (run ``payproc db init`` first); nothing is
    written before a request comes. With ``demo`` (``payproc demo --web``):
    the tables and the ``customer`` profile are created, and the demo page and
    the unauthenticated back-office endpoints are served, on loopback only.
    """
    import uvicorn

    if demo:
        if not _is_loopback(host):
            raise ValueError(f"the demo serves unauthenticated refunds: bind it to loopback, not {host}")
        payproc_app.init_db()
        payproc_app.add_profile(customer, customer.title())
        web = create_app(payproc_app, demo=True, default_customer=customer)
    else:
        web = create_app(payproc_app)
    print(f"webhooks: give the processor {webhook_url('https://<your public host>', payproc_app.backend.name)} "
          f"(a proxy in front of http://{host}:{port})", flush=True)
    uvicorn.run(web, host=host, port=port, log_level=log_level)
