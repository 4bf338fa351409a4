"""The Starlette application: :func:`create_app`.

Routes, relative to where the app is mounted, and when they exist:

=======
=================================  ===========================================================  ====================
``POST /webhooks/{backend}``       the processor's callbacks (raw body, signature checked)      always
``GET  /api/context``              backend, token field, scripts, public values for the page    always
``POST /api/context``              same, with an amount: records the charge, returns its key    always
``POST /api/checkout``             pay: token in the backend's token field, or card on file     always
``GET  /api/checkout/{key}``       the purchase with that idempotency key (polled; settles it)  always
``POST /api/complete``             the page's processor script finished the customer's action   always
``GET|POST /return/{key}``         the customer back from the processor: completes, then page   always
``GET  /backends/{backend}/…``     the backend package's ``static/`` files (its browser script) always
``GET|POST|DELETE /api/card``      the customer's card on file                                  ``customer_of``
``GET  /api/charges``              latest charges (``?customer=``, ``?state=``)                 ``authorize``
``GET  /api/charges/{id}``         one charge with its receipt                                  ``authorize``
``POST /api/charges/{id}/refunds`` refund all that is left, or ``amount`` / ``amount_major``    ``authorize``
``GET  /api/ledger``               balances, whether the books balance, latest ledger rows      ``authorize``
``GET  /``, ``/static/…``          the demo checkout page, its CSS and JavaScript               ``demo``
=================================  ===========================================================  ====================

The URL to give the processor (its dashboard's webhook setting) is
``https://<your host>/<where the app is mounted>/webhooks/<backend>``, e.g.
``https://shop.example/payments/webhooks/stripe``.

Who is paying is the application's business: pass ``customer_of`` (a
function of the request returning a profile slug, typically from the
session). Without it the customer is the posted ``customer`` field, and the
card-on-file endpoint does not exist (anyone could read or delete anyone's
card), nor does a checkout with the card on file (no token) or
``remember_card`` (anyone could charge anyone's card, or replace it). The charges list, refunds and the ledger are back-office operations:
they exist only with an ``authorize`` callable (see :mod:`payproc.web.auth`).
``demo=True`` (``payproc demo --web`` only) serves everything, unauthenticated,
with ``default_customer``, and the demo page. Cross-site browser requests to
the endpoints that change something are refused (403; see
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
from .auth import Authorizer, guarded
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
    except (ModuleNotFoundError, TypeError):  # a backend class in a plain module (not a package) has no static/
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
    authorize: Authorizer | None = None,
    demo: bool = False,
    default_customer: str | None = None,
    default_currency: str = "usd",
    trusted_origins: Collection[str] = (),
    page: bool | None = None,
    debug: bool = False,
    defer_webhooks: Callable[[StoredWebhook], object] | None = None,
) -> Starlette:
    """A Starlette app serving payproc's webhook and checkout endpoints for
    ``payproc_app``; the card-on-file endpoint with ``customer_of``; the
    back-office endpoints with ``authorize``; everything and the demo page
    with ``demo`` (``page`` overrides whether the page is served). It does
    not touch the database until a request comes: call
    ``payproc_app.init_db()`` yourself. ``defer_webhooks``: verify and store
    webhook deliveries, then hand them to a task
    (:class:`~payproc.web.webhooks.WebhookEndpoint`)."""
    if default_customer is not None and not demo and customer_of is None:
        # a fixed payer is the demo's convenience; in production it would charge one profile for everyone
        raise ValueError("default_customer is for demo=True; pass customer_of to say who pays")
    endpoints = Endpoints(payproc_app, customer_of=customer_of, default_customer=default_customer,
                          default_currency=default_currency, trusted_origins=trusted_origins,
                          card_on_file=customer_of is not None or demo)
    routes: list[Any] = [
        Route("/api/context", endpoints.context, methods=["GET", "POST"]),
        Route("/api/checkout", endpoints.checkout, methods=["POST"]),
        Route("/api/checkout/{key}", endpoints.purchase, methods=["GET"]),
        Route("/api/complete", endpoints.complete, methods=["POST"]),
        Route("/return/{key}", endpoints.customer_return, methods=["GET", "POST"], name="payproc-return"),
        Route("/webhooks/{backend}", WebhookEndpoint(payproc_app, defer_webhooks).handle, methods=["POST"]),
    ]
    if customer_of is not None or demo:
        routes.append(Route("/api/card", endpoints.card, methods=["GET", "POST", "DELETE"]))
    if authorize is not None or demo:
        def back_office(handler: Any, operation: str) -> Any:
            return handler if authorize is None else guarded(handler, operation, authorize)

        routes += [
            Route("/api/charges", back_office(endpoints.charges, "charges.list"), methods=["GET"]),
            Route("/api/charges/{charge_id:int}", back_office(endpoints.charge, "charges.read"), methods=["GET"]),
            Route("/api/charges/{charge_id:int}/refunds", back_office(endpoints.refund, "charges.refund"),
                  methods=["POST"]),
            Route("/api/ledger", back_office(endpoints.ledger, "ledger.read"), methods=["GET"]),
        ]
    backend_static = _backend_static(payproc_app)
    if backend_static is not None:
        routes.append(backend_static)
    if demo if page is None else page:
        async def checkout_page(request: Request) -> Response:
            return Response(_page_text(), media_type="text/html; charset=utf-8", headers={
                "Content-Security-Policy": _content_security_policy(payproc_app),
                "Cache-Control": "no-store",
                "Referrer-Policy": "same-origin",
            })

        routes.append(Route("/", checkout_page, methods=["GET"], name="payproc-page"))
        routes.append(Mount("/static", app=StaticFiles(packages=[(STATIC_PACKAGE, "static")]), name="static"))
    web = Starlette(debug=debug, routes=routes)
    web.state.payproc = payproc_app
    return web
