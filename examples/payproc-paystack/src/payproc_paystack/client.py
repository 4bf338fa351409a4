"""The processor's HTTP API, and its answers mapped to payproc's errors.

This is the one module that knows how Paystack answers. The placeholder API
it speaks (``POST /v1/charges``, ``GET /v1/charges?idempotency_key=``,
``POST /v1/charges/<id>/refunds``) is what ``tests/fakeserver.py``
implements; replace it with the processor's real one.

Error mapping, in one place:

* 402 (card declined) -> :class:`~payproc.errors.CardError` with the code;
* 401/403 -> :class:`~payproc.errors.ProcessorSetupError`;
* no answer, timeouts, 5xx -> :class:`~payproc.errors.OutcomeUnknown`
  (never a failure: the request may have taken effect);
* other 4xx -> :class:`~payproc.errors.ProcessorError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from payproc.errors import CardError, OutcomeUnknown, ProcessorError, ProcessorSetupError

if TYPE_CHECKING:
    import httpx

    from .settings import PaystackBackendSettings

__all__ = ["Client"]


class Client:
    """One HTTP client per backend instance, built on first use."""

    def __init__(self, settings: PaystackBackendSettings) -> None:
        self.settings = settings
        self._http: httpx.Client | None = None

    def __repr__(self) -> str:
        return f"<PaystackBackend client {self.settings.API_BASE!r}>"

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
        self, method: str, path: str, *, json: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None, idempotency_key: str | None = None,
        account_owner: str | None = None,
    ) -> dict[str, Any]:
        """Send one request; return the JSON answer or raise payproc's error.
        ``account_owner`` is the profile whose processor account a 401 is
        about."""
        import httpx

        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        try:
            response = self._client().request(method, path, json=json, params=params, headers=headers)
        except httpx.TransportError as error:
            raise OutcomeUnknown(
                f"Paystack gave no answer to {method} {path} ({type(error).__name__}): "
                "the request may have taken effect") from None
        if response.status_code < 400:
            answer: dict[str, Any] = response.json()
            return answer
        try:
            error = response.json().get("error") or {}
        except ValueError:
            error = {}
        message = str(error.get("message") or f"Paystack answered {response.status_code}")
        code = str(error.get("code") or "")
        if response.status_code == 402:
            raise CardError(message, code or "card_declined", charge_processor_key=error.get("charge"))
        if response.status_code in (401, 403):
            raise ProcessorSetupError(message, account_owner, revoked=code == "api_key_revoked")
        if response.status_code >= 500:
            raise OutcomeUnknown(f"Paystack failed ({response.status_code}): the request may have taken effect")
        raise ProcessorError(message)
