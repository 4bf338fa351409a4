"""The Starlette application: :func:`create_app`.

Routes, relative to where the app is mounted:

=================================  ==========================================================
``GET  /``                         the demo checkout page (``page=True``)
``GET  /api/context``              backend, token field, scripts, public values for the page
``POST /api/context``              same, with an amount: records the charge, returns its key
``POST /api/checkout``             pay: token in the backend's token field, or card on file
``GET  /api/checkout/{key}``       the purchase with that idempotency key (polled; settles it)
``GET  /api/charges``              latest charges (``?customer=``, ``?state=``)
``GET  /api/charges/{id}``         one charge with its receipt
``POST /api/charges/{id}/refunds`` refund all that is left, or ``amount`` / ``amount_major``
``GET  /api/ledger``               balances, whether the books balance, latest ledger rows
``GET|POST|DELETE /api/card``      the customer's card on file
``POST /webhooks/{backend}``       the processor's callbacks (raw body, signature checked)
``GET  /static/…``                 the page's CSS and JavaScript
``GET  /backends/{backend}/…``     the backend package's ``static/`` files (its browser script)
=================================  ==========================================================

Who is paying is the application's business: pass ``customer_of`` (a
function of the request returning a profile slug, typically from the
session). Without it the customer is the posted ``customer`` field or
``default_customer`` — fine for the demo on loopback, not for production.
Refunds, the charges list and the ledger are back-office operations: mount
the app behind the application's authentication. Cross-site browser requests
to the endpoints that change something are refused (403; see
:mod:`payproc.web.origin`); list other sites of yours in ``trusted_origins``.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Callable, Collection
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..app import Payproc
from .endpoints import CustomerResolver, Endpoints
from ..webhook_inbox import StoredWebhook
from .webhooks import WebhookEndpoint

__all__ = ["create_app"]

STATIC_PACKAGE = "payproc.web"


def _page_text() -> str:
    return importlib.resources.files(STATIC_PACKAGE).joinpath("static").joinpath("index.html").read_text("utf-8")


def _backend_static(app: Payproc) -> Mount | None:
    """Serve ``<backend package>/static/`` (e.g. payproc-fake's tokenizer)
    under ``backends/<name>/``: relative ``script_urls`` point there."""
    package = type(app.backend.impl).__module__.split(".")[0]
    try:
        folder = importlib.resources.files(package).joinpath("static")
    except ModuleNotFoundError:  # pragma: no cover - the backend is loaded, so its package exists
        return None
    if not folder.is_dir():
        return None
    return Mount(f"/backends/{app.backend.name}", app=StaticFiles(packages=[(package, "static")]),
                 name="backend-static")


def _content_security_policy(app: Payproc) -> str:
    """Only this origin, plus the origins of the backend's own scripts (a
    real processor's JS and the frames it opens)."""
    integration = app.backend.call_optional("browser_integration")
    origins = sorted({
        f"{parts.scheme}://{parts.netloc}"
        for parts in (urlsplit(url) for url in (integration.script_urls if integration else ()))
        if parts.scheme in ("http", "https") and parts.netloc
    })
    extra = "".join(f" {origin}" for origin in origins)
    return (f"default-src 'self'; script-src 'self'{extra}; connect-src 'self'{extra}; frame-src 'self'{extra}; "
            "img-src 'self' data:; style-src 'self'; base-uri 'self'; form-action 'self'; object-src 'none'")


def create_app(
    payproc_app: Payproc,
    *,
    customer_of: CustomerResolver | None = None,
    default_customer: str | None = None,
    default_currency: str = "usd",
    trusted_origins: Collection[str] = (),
    page: bool = True,
    debug: bool = False,
    defer_webhooks: Callable[[StoredWebhook], object] | None = None,
) -> Starlette:
    """A Starlette app serving payproc's checkout and webhook endpoints for
    ``payproc_app`` (and the demo checkout page when ``page``). It does not
    touch the database until a request comes: call ``payproc_app.init_db()``
    yourself. ``defer_webhooks``: verify and store webhook deliveries, then
    hand them to a task (:class:`~payproc.web.webhooks.WebhookEndpoint`)."""
    endpoints = Endpoints(payproc_app, customer_of=customer_of, default_customer=default_customer,
                          default_currency=default_currency, trusted_origins=trusted_origins)
    routes: list[Any] = [
        Route("/api/context", endpoints.context, methods=["GET", "POST"]),
        Route("/api/checkout", endpoints.checkout, methods=["POST"]),
        Route("/api/checkout/{key}", endpoints.purchase, methods=["GET"]),
        Route("/api/charges", endpoints.charges, methods=["GET"]),
        Route("/api/charges/{charge_id:int}", endpoints.charge, methods=["GET"]),
        Route("/api/charges/{charge_id:int}/refunds", endpoints.refund, methods=["POST"]),
        Route("/api/ledger", endpoints.ledger, methods=["GET"]),
        Route("/api/card", endpoints.card, methods=["GET", "POST", "DELETE"]),
        Route("/webhooks/{backend}", WebhookEndpoint(payproc_app, defer_webhooks).handle, methods=["POST"]),
    ]
    if page:
        async def checkout_page(request: Request) -> Response:
            return Response(_page_text(), media_type="text/html; charset=utf-8", headers={
                "Content-Security-Policy": _content_security_policy(payproc_app),
                "Cache-Control": "no-store",
                "Referrer-Policy": "same-origin",
            })

        routes.append(Route("/", checkout_page, methods=["GET"]))
        routes.append(Mount("/static", app=StaticFiles(packages=[(STATIC_PACKAGE, "static")]), name="static"))
        backend_static = _backend_static(payproc_app)
        if backend_static is not None:
            routes.append(backend_static)
    web = Starlette(debug=debug, routes=routes)
    web.state.payproc = payproc_app
    return web
