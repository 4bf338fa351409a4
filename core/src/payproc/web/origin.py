"""Refusing cross-site requests to the state-changing endpoints.

A checkout without a token charges the card on file, so a form on another
site that posts to ``api/checkout`` with the payer's cookies must not work
(CSRF). Browsers say where a request comes from: ``Sec-Fetch-Site`` (all
current browsers) and ``Origin`` (on every cross-origin POST). A request
that is ``cross-site``, or whose ``Origin`` is neither this host nor a
trusted origin, is refused with 403. Requests without these headers (server
to server, tests, curl) are not browser CSRF and pass; the processor's
webhooks are checked by their signature instead.
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlsplit

from starlette.requests import Request

from .errors import ApiError

__all__ = ["check_same_origin"]


def check_same_origin(request: Request, trusted_origins: Collection[str] = ()) -> None:
    origin = request.headers.get("origin")
    if origin and origin != "null":
        if origin.rstrip("/") in trusted_origins:
            return
        if urlsplit(origin).netloc == request.headers.get("host", ""):
            return
        raise ApiError(403, "cross_origin", f"requests from {origin} are not accepted: "
                       "add it to trusted_origins if it is one of your sites")
    if request.headers.get("sec-fetch-site") == "cross-site" or origin == "null":
        raise ApiError(403, "cross_origin", "cross-site requests are not accepted")
