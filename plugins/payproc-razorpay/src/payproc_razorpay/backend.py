"""The Razorpay backend: payproc's hooks on top of Razorpay's API.

The class is assembled from one mixin per story, each in its own module:

* :mod:`._checkout_hooks` — Checkout: the order (``GET /v1/orders?receipt=``,
  ``POST /v1/orders``), the handler's answer checked against the stored
  order, capture, the customer's return;
* :mod:`._charge_hooks` — the card on file (``POST
  /v1/payments/create/recurring`` on an auto-capture order), settling
  unknown outcomes, captures on ``payment.authorized``, abandoned orders,
  fees;
* :mod:`._card_hooks` — Customers and their recurring tokens;
* :mod:`._refund_hooks` — refunds by receipt;
* :mod:`._transfer_hooks` — Route transfers (``X-Transfer-Idempotency``);
* :mod:`._webhook_hooks` — ``X-Razorpay-Signature`` and event mapping.

Importing this module is cheap (``payproc backends`` imports it to read the
hookimpl markers): the modules that do the work, the settings model
(pydantic) and payproc's types are imported by the methods that use them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from payproc import hookimpl

from ._card_hooks import CardHooks
from ._charge_hooks import ChargeHooks
from ._checkout_hooks import CHECKOUT_JS, CheckoutHooks
from ._refund_hooks import RefundHooks
from ._transfer_hooks import TransferHooks
from ._webhook_hooks import WebhookHooks

if TYPE_CHECKING:
    from .settings import RazorpaySettings

__all__ = ["CHECKOUT_JS", "RazorpayBackend"]


class RazorpayBackend(CheckoutHooks, ChargeHooks, CardHooks, RefundHooks, TransferHooks, WebhookHooks):
    """payproc backend for Razorpay (entry point ``razorpay``)."""

    name = "razorpay"
    contract = ">=1.0,<2"
    #: Razorpay signs every webhook (HMAC-SHA256 of the body).
    webhook_verification = "signed"
    unsupported: ClassVar[Mapping[str, str]] = {
        "update_bank": "Razorpay Route linked accounts get their bank account through Razorpay's "
        "onboarding (Dashboard or the v2 Accounts API with KYC), not from a browser token",
        "connect_auth": "Razorpay has no OAuth connection of provider accounts here; providers are "
        "Route linked accounts created by the merchant (deposit_key acc_…)",
        "get_authorize_url": "no OAuth connection for Razorpay Route linked accounts (see connect_auth)",
        "get_deauthorize_url": "no OAuth connection for Razorpay Route linked accounts (see connect_auth)",
        "list_customers": "Razorpay customers carry no description to match; they are found by the "
        "subscriber's card_key",
    }

    @hookimpl
    def settings_model(self) -> type[RazorpaySettings]:
        from .settings import RazorpaySettings

        return RazorpaySettings

    @hookimpl
    def configure(self, settings: RazorpaySettings) -> None:
        """Keep the settings the core validated with :meth:`settings_model`
        and build the (lazy) SDK client."""
        from .client import RazorpayClient

        self._settings = settings
        self._client = RazorpayClient(settings)
