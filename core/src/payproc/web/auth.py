"""Who may use the back-office endpoints (charges, refunds, ledger).

payproc does not know the application's users: the application passes an
``authorize`` callable to :func:`~payproc.web.create_app`. It receives the
request and the operation (one of :data:`OPERATIONS`) and returns whether
the request may go on (it may be a coroutine function). Without it those
endpoints do not exist (404); only ``payproc demo --web`` serves them
unauthenticated, on loopback.

An example, for a back office reached with a bearer token::

    from payproc.web import create_app
    from payproc.web.auth import bearer_token

    app = create_app(Payproc(), authorize=bearer_token(os.environ["PAYPROC_ADMIN_TOKEN"]))

or with the application's own session (Starlette's ``SessionMiddleware``)::

    def staff_only(request, operation):
        return bool(request.session.get("is_staff"))
"""

from __future__ import annotations

import hmac
import inspect
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

__all__ = ["OPERATIONS", "Authorizer", "bearer_token", "guarded"]

#: Returns whether ``request`` may run ``operation``; may be a coroutine function.
Authorizer = Callable[[Request, str], "bool | Awaitable[bool]"]

#: The back-office operations an :data:`Authorizer` is asked about.
OPERATIONS = ("charges.list", "charges.read", "charges.refund", "ledger.read")


def bearer_token(token: str) -> Authorizer:
    """An :data:`Authorizer` that lets through requests carrying
    ``Authorization: Bearer <token>`` (compared in constant time)."""
    if not token:
        raise ValueError("bearer_token needs a non-empty token")
    expected = f"Bearer {token}".encode()

    def authorize(request: Request, operation: str) -> bool:
        return hmac.compare_digest(request.headers.get("authorization", "").encode(), expected)

    return authorize


def guarded(handler: Callable[[Request], Awaitable[Response]], operation: str,
            authorize: Authorizer) -> Callable[[Request], Awaitable[Response]]:
    """``handler``, answering 403 unless ``authorize(request, operation)``."""

    async def endpoint(request: Request) -> Response:
        allowed = authorize(request, operation)
        if inspect.isawaitable(allowed):
            allowed = await allowed
        if allowed is not True:
            return JSONResponse({"error": "forbidden", "message": f"not allowed to {operation}"}, status_code=403)
        return await handler(request)

    return endpoint
