"""Paystack's HTTP API, and its answers mapped to payproc's errors.

Paystack answers ``{"status": true|false, "message": ..., "data": ...}``.
Error mapping, in one place:

* 401 -> :class:`~payproc.errors.ProcessorSetupError` (wrong secret key);
* no answer, timeouts, 5xx -> :class:`~payproc.errors.OutcomeUnknown`
  (never a failure: the request may have taken effect);
* other 4xx, or ``status: false`` -> :class:`~payproc.errors.ProcessorError`.

Declines are not HTTP errors on Paystack: a verified transaction whose
``status`` is ``failed`` is one (see ``backend.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from payproc.errors import OutcomeUnknown, ProcessorError, ProcessorSetupError

if TYPE_CHECKING:
    import httpx

    from .settings import PaystackBackendSettings

__all__ = ["Client", "NotFound"]


class NotFound(ProcessorError):
    """Paystack has no such transaction (``Transaction reference not found``)."""


class Client:
    """One HTTP client per backend instance, built on first use."""

    def __init__(self, settings: PaystackBackendSettings) -> None:
        self.settings = settings
        self._http: httpx.Client | None = None

    def __repr__(self) -> str:
        return f"<Paystack client {self.settings.API_BASE!r}>"

    def _client(self) -> httpx.Client:
        if self._http is None:
            import httpx  # imported on first use: listing backends stays cheap

            self._http = httpx.Client(
                base_url=self.settings.API_BASE,
                timeout=self.settings.TIMEOUT,
                headers={"Authorization": f"Bearer {self.settings.PRIV_KEY.get_secret_value()}"},
            )
        return self._http

    def request(
        self, method: str, path: str, *, json: Mapping[str, Any] | None = None, account_owner: str | None = None,
    ) -> dict[str, Any]:
        """Send one request; return the answer's ``data`` or raise payproc's
        error. ``account_owner`` is the profile a 401 is about."""
        import httpx

        try:
            response = self._client().request(method, path, json=json)
        except httpx.TransportError as error:
            raise OutcomeUnknown(
                f"Paystack gave no answer to {method} {path} ({type(error).__name__}): "
                "the request may have taken effect") from None
        if response.status_code >= 500:
            raise OutcomeUnknown(f"Paystack failed ({response.status_code}): the request may have taken effect")
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        message = str(answer.get("message") or f"Paystack answered {response.status_code}")
        if response.status_code == 401:
            raise ProcessorSetupError(message, account_owner)
        if response.status_code == 404 or "not found" in message.lower():
            raise NotFound(message)
        if response.status_code >= 400 or not answer.get("status"):
            raise ProcessorError(message)
        data: dict[str, Any] = answer.get("data") or {}
        return data
