"""The backend's Stripe client and the one way requests are made.

Every request goes through :meth:`StripeApi.request`: the SDK call runs inside
:func:`~payproc_stripe.errors.translate` with the route's ``Stripe-Account``
and the idempotency key, and the answer comes back as a plain ``dict``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .client import build_client
from .errors import translate
from .routing import Route
from .settings import StripeSettings

if TYPE_CHECKING:
    import stripe

__all__ = ["StripeApi"]


class StripeApi:
    """Lazily built client plus request helpers (one per backend instance)."""

    def __init__(self, settings: StripeSettings) -> None:
        self.settings = settings
        self._client: stripe.StripeClient | None = None

    @property
    def client(self) -> stripe.StripeClient:
        if self._client is None:
            self._client = build_client(self.settings)
        return self._client

    @property
    def v1(self) -> Any:
        return self.client.v1

    def request(
        self,
        route: Route,
        method: Callable[..., Any],
        *args: Any,
        params: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        setup_party: str | None = None,
    ) -> dict[str, Any]:
        """Call ``method(*args, params=..., options=...)`` and return a dict."""
        with translate(route, setup_party=setup_party):
            result = method(*args, params=dict(params or {}), options=route.options(idempotency_key))
        return result.to_dict() if hasattr(result, "to_dict") else dict(result)

    def iterate(
        self,
        route: Route,
        method: Callable[..., Any],
        params: Mapping[str, Any],
        *,
        setup_party: str | None = None,
        one_page: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Every item of a list endpoint, following ``starting_after`` cursors."""
        query = dict(params)
        while True:
            page = self.request(route, method, params=query, setup_party=setup_party)
            items = page.get("data") or []
            yield from items
            if one_page or not page.get("has_more") or not items:
                return
            query["starting_after"] = items[-1]["id"]
