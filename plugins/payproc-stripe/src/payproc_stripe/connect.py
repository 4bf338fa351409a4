"""Stripe Connect (OAuth): connecting a provider's account and leaving it.

Stripe calls: the authorize URL is built locally
(``https://connect.stripe.com/oauth/authorize``); ``connect_auth`` makes
``POST /oauth/token``; :meth:`Connect.deauthorize` makes
``POST /oauth/deauthorize``.
"""

from __future__ import annotations

from typing import Any

from payproc.errors import ConfigurationError, ProcessorError, ProcessorSetupError
from payproc.types import Party, ProcessorKeys
from pydantic import SecretStr

from .api import StripeApi
from .errors import translate
from .routing import connected_account

__all__ = ["Connect"]

BYPASS_KEY = "123456789"


class Connect:
    def __init__(self, api: StripeApi) -> None:
        self.api = api

    def _client_id(self) -> str:
        if not self.api.settings.CLIENT_ID:
            raise ConfigurationError("PROCESSOR.CLIENT_ID (the Connect platform's client id) is required for Connect")
        return str(self.api.settings.CLIENT_ID)

    def authorize_url(self, provider: Party, state: str, redirect_uri: str | None) -> str:
        params: dict[str, Any] = {"client_id": self._client_id(), "scope": "read_write", "state": state}
        redirect = redirect_uri or self.api.settings.CONNECT_CALLBACK_URL
        if redirect:
            params["redirect_uri"] = redirect
        if provider.email:
            params["stripe_user"] = {"email": provider.email}
        return str(self.api.client.oauth.authorize_url(params))

    def connect_auth(self, provider: Party, code: str) -> ProcessorKeys:
        if self.api.settings.BYPASS_PROCESSOR_AUTH:
            return ProcessorKeys(
                deposit_key=BYPASS_KEY, pub_key=BYPASS_KEY,
                priv_key=SecretStr(BYPASS_KEY), refresh_token=SecretStr(BYPASS_KEY),
            )
        try:
            with translate(setup_party=provider.slug):
                token = self.api.client.oauth.token({"grant_type": "authorization_code", "code": code})
        except ProcessorSetupError:
            raise
        except ProcessorError as error:
            raise ProcessorSetupError(
                f"Stripe refused to connect {provider.slug}: {error.message}", provider.slug, backend_except=error
            ) from error
        data = token.to_dict() if hasattr(token, "to_dict") else dict(token)
        if not data.get("stripe_user_id") or not data.get("access_token"):
            raise ProcessorSetupError(f"Stripe returned no account for {provider.slug}", provider.slug)
        return ProcessorKeys(
            deposit_key=data["stripe_user_id"],
            pub_key=data.get("stripe_publishable_key"),
            priv_key=SecretStr(data["access_token"]),
            refresh_token=SecretStr(data["refresh_token"]) if data.get("refresh_token") else None,
        )

    def deauthorize_url(self, provider: Party) -> str:
        return self.api.settings.DEAUTHORIZE_URL.format(provider=provider.slug)

    def deauthorize(self, provider: Party) -> None:
        """Disconnect ``provider``'s account from the platform."""
        account = connected_account(provider, "deauthorize")
        with translate(setup_party=provider.slug):
            self.api.client.oauth.deauthorize({"client_id": self._client_id(), "stripe_user_id": account})
