"""One ``stripe.StripeClient`` per backend instance, built on first use,
sending the pinned ``Stripe-Version`` (``API_VERSION``) on every request.

No global SDK state: ``stripe.api_key`` is never set, so two backends with
different keys in one process never mix. The SDK is imported here, lazily, so
``import payproc_stripe`` stays free of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from payproc.errors import ConfigurationError

from .settings import StripeSettings

if TYPE_CHECKING:
    import stripe

__all__ = ["build_client"]


def build_client(settings: StripeSettings) -> stripe.StripeClient:
    """A client for ``settings.PRIV_KEY`` talking to ``settings.API_BASE``."""
    import stripe

    if settings.PRIV_KEY is None:
        raise ConfigurationError("PROCESSOR.PRIV_KEY (the Stripe secret key) is required by the stripe backend")
    bases: dict[str, str] = {}
    if settings.API_BASE:
        bases["api"] = settings.API_BASE.rstrip("/")
    connect = settings.CONNECT_BASE or settings.API_BASE
    if connect:
        bases["connect"] = connect.rstrip("/")
    return stripe.StripeClient(
        settings.PRIV_KEY.get_secret_value(),
        base_addresses=bases,  # type: ignore[arg-type]
        http_client=stripe.RequestsClient(timeout=settings.TIMEOUT),
        max_network_retries=settings.MAX_NETWORK_RETRIES,
        stripe_version=settings.API_VERSION,
        client_id=settings.CLIENT_ID,
    )
