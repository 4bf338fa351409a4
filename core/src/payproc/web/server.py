"""``serve``: run the web app with uvicorn (``payproc serve``,
``payproc demo --web``)."""

from __future__ import annotations

import errno
import ipaddress
import logging
import socket

from ..app import Payproc
from ..errors import ConfigurationError
from .app import create_app

__all__ = ["listen", "serve", "webhook_url"]

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


def listen(host: str, port: int) -> socket.socket:
    """The server's socket, bound before anything is served or printed, so
    that a port already in use or a host that does not resolve is one
    ConfigurationError (uvicorn would log it among its start-up lines and
    exit with status 3)."""
    def refused(reason: str, option: str) -> ConfigurationError:
        return ConfigurationError(f"cannot listen on {host}:{port}: {reason} (choose another {option})")

    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as error:
        raise refused(error.strerror or str(error), "--host") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: a port in TIME_WAIT is free
    try:
        sock.bind(address)
    except OSError as error:
        sock.close()
        taken = error.errno in (errno.EADDRINUSE, errno.EACCES)  # in use, or below 1024 without the right
        raise refused(error.strerror or str(error), "--port" if taken else "--host") from None
    sock.set_inheritable(True)
    return sock


def serve(payproc_app: Payproc, host: str = "127.0.0.1", port: int = 8000, *, demo: bool = False,
          customer: str = "demo", log_level: str = "info", sock: socket.socket | None = None) -> None:
    """Serve until interrupted.

    Without ``demo`` (``payproc serve``): the webhook and checkout endpoints
    only, on the database as it is (run ``payproc db init`` first); nothing is
    written before a request comes. With ``demo`` (``payproc demo --web``):
    the tables and the ``customer`` profile are created, and the demo page and
    the unauthenticated back-office endpoints are served, on loopback only.
    ``sock``: a socket :func:`listen` bound already (the demo binds it before
    it writes its database); else ``host`` and ``port`` are bound here.
    """
    import uvicorn

    if demo and not _is_loopback(host):
        raise ValueError(f"the demo serves unauthenticated refunds: bind it to loopback, not {host}")
    sock = sock if sock is not None else listen(host, port)
    try:
        if demo:
            payproc_app.init_db()
            payproc_app.add_profile(customer, customer.title())
            web = create_app(payproc_app, demo=True, default_customer=customer)
        else:
            web = create_app(payproc_app)
            print(f"Serving on http://{host}:{port}/ (Ctrl-C to stop)")
        print(f"webhooks: give the processor {webhook_url('https://<your public host>', payproc_app.backend.name)} "
              f"(a proxy in front of http://{host}:{port})", flush=True)
        uvicorn.Server(uvicorn.Config(web, host=host, port=port, log_level=log_level)).run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # Ctrl-C is how one stops serving (uvicorn.run swallows it the same way), not an interruption
    finally:
        sock.close()
