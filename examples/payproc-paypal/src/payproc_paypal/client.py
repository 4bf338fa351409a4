"""PayPal's REST API, and its answers mapped to payproc's errors.

One place for the mapping:

* 401 -> :class:`~payproc.errors.ProcessorSetupError` (wrong client id or
  secret; the access token is fetched again once first);
* no answer, timeouts, 5xx -> :class:`~payproc.errors.OutcomeUnknown`
  (never a failure: the request may have taken effect);
* 404 -> :class:`NotFound`; 422 -> :class:`Unprocessable` carrying PayPal's
  ``details[0].issue`` (``ORDER_NOT_APPROVED``, ``INSTRUMENT_DECLINED``…),
  which the backend turns into what it means; other 4xx ->
  :class:`~payproc.errors.ProcessorError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from payproc.errors import OutcomeUnknown, ProcessorError, ProcessorSetupError

if TYPE_CHECKING:
    import httpx

    from .settings import PayPalBackendSettings

__all__ = ["Client", "NotFound", "Unprocessable"]


class NotFound(ProcessorError):
    """PayPal has no such resource (``RESOURCE_NOT_FOUND``)."""


class Unprocessable(ProcessorError):
    """PayPal refused the request (422); ``issue`` says why."""

    def __init__(self, message: str, issue: str) -> None:
        super().__init__(message)
        self.issue = issue


class Client:
    """One HTTP client per backend instance, built on first use."""

    def __init__(self, settings: PayPalBackendSettings) -> None:
        self.settings = settings
        self._http: httpx.Client | None = None
        self._token: str | None = None

    def __repr__(self) -> str:
        return f"<PayPal client {self.settings.API_BASE!r}>"

    def _client(self) -> httpx.Client:
        if self._http is None:
            import httpx  # imported on first use: listing backends stays cheap

            self._http = httpx.Client(base_url=self.settings.API_BASE, timeout=self.settings.TIMEOUT)
        return self._http

    def _access_token(self, *, renew: bool = False) -> str:
        import httpx

        if self._token is None or renew:
            try:
                response = self._client().post(
                    "/v1/oauth2/token", data={"grant_type": "client_credentials"},
                    auth=(self.settings.CLIENT_ID, self.settings.PRIV_KEY.get_secret_value()))
            except httpx.TransportError:
                raise OutcomeUnknown("PayPal gave no access token (no answer)") from None
            if response.status_code != 200:
                raise ProcessorSetupError("PayPal refused the client id and secret (OAuth client credentials)", None)
            self._token = str(response.json()["access_token"])
        return self._token

    def request(self, method: str, path: str, *, json: Mapping[str, Any] | None = None,
                request_id: str | None = None) -> dict[str, Any]:
        """Send one request (``request_id`` -> ``PayPal-Request-Id``: PayPal
        answers a retry with the first answer); return the JSON answer or
        raise payproc's error."""
        import httpx

        for attempt in (0, 1):
            headers = {"Authorization": f"Bearer {self._access_token(renew=attempt == 1)}",
                       "Content-Type": "application/json", "Prefer": "return=representation"}
            if request_id:
                headers["PayPal-Request-Id"] = request_id
            try:
                response = self._client().request(method, path, json=json, headers=headers)
            except httpx.TransportError as error:
                raise OutcomeUnknown(f"PayPal gave no answer to {method} {path} ({type(error).__name__}): "
                                     "the request may have taken effect") from None
            if response.status_code != 401:
                break
        if response.status_code == 401:
            raise ProcessorSetupError("PayPal refused the access token", None)
        if response.status_code >= 500:
            raise OutcomeUnknown(f"PayPal failed ({response.status_code}): the request may have taken effect")
        try:
            answer: dict[str, Any] = response.json()
        except ValueError:
            answer = {}
        if response.status_code < 400:
            return answer
        details = answer.get("details") or [{}]
        issue = str(details[0].get("issue") or answer.get("name") or response.status_code)
        message = str(details[0].get("description") or answer.get("message") or issue)
        if response.status_code == 404:
            raise NotFound(message)
        if response.status_code == 422:
            raise Unprocessable(message, issue)
        raise ProcessorError(f"PayPal refused the request: {message}")
