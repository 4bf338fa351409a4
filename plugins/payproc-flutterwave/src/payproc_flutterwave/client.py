"""A small typed client for Flutterwave's v3 API over httpx.

One :class:`FlutterwaveAPI` per backend instance (its own connection pool,
its own key): no module-level state, no telemetry, no environment proxies
(``trust_env=False``), only the configured host. Every call carries the
secret key as a Bearer token and is bounded by ``TIMEOUT``.

Every v3 answer is the same envelope, ``{"status": "success"|"error",
"message": …, "data": …}``; :meth:`FlutterwaveAPI.call` returns the envelope
of a success and maps everything else to payproc's errors:

* no answer (timeout, connection refused or reset), HTTP 5xx or 429, or a
  body that is not JSON: :class:`~payproc.errors.OutcomeUnknown` — the
  request may have taken effect;
* HTTP 401/403: :class:`~payproc.errors.ProcessorSetupError` (the key);
* any other refusal: :class:`FlutterwaveAPIError` (a
  :class:`~payproc.errors.ProcessorError` with Flutterwave's message and
  ``data``), which the callers turn into declines or "not found" where the
  endpoint's meaning says so.

Amounts are read as :class:`~decimal.Decimal` straight from the JSON text.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from payproc.errors import OutcomeUnknown, ProcessorError, ProcessorSetupError

if TYPE_CHECKING:
    import httpx

    from .settings import FlutterwaveSettings

__all__ = ["FlutterwaveAPI", "FlutterwaveAPIError", "json_number"]


class FlutterwaveAPIError(ProcessorError):
    """Flutterwave refused a request (HTTP 4xx other than 401/403, or a 2xx
    whose envelope says ``error``)."""

    def __init__(self, message: str, status_code: int, data: Any = None, flw_message: str = "") -> None:
        super().__init__(message)
        self.status_code = status_code
        self.data = data
        #: Flutterwave's own ``message``, without payproc's words around it.
        self.flw_message = flw_message


def json_number(value: Decimal) -> int | float:
    """An exact major amount as a JSON number: an int when whole, else the
    float whose shortest repr is that decimal (amounts have few digits)."""
    if value == value.to_integral_value():
        return int(value)
    number = float(value)
    if Decimal(repr(number)) != value:
        raise ValueError(f"{value} has no exact JSON number form")
    return number


class FlutterwaveAPI:
    """Flutterwave's v3 API with one account's secret key."""

    def __init__(self, settings: FlutterwaveSettings) -> None:
        self._settings = settings
        self._http: httpx.Client | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<FlutterwaveAPI {self._settings.api_base}>"

    @property
    def http(self) -> httpx.Client:
        with self._lock:
            if self._http is None:
                import httpx

                settings = self._settings
                self._http = httpx.Client(
                    base_url=settings.api_base,
                    timeout=settings.TIMEOUT,
                    trust_env=False,
                    follow_redirects=False,
                    headers={
                        "Authorization": f"Bearer {settings.PRIV_KEY.get_secret_value()}",
                        "Accept": "application/json",
                        "User-Agent": "payproc-flutterwave",
                    },
                )
            return self._http

    def close(self) -> None:
        with self._lock:
            if self._http is not None:
                self._http.close()
                self._http = None

    def call(self, method: str, path: str, what: str, *, body: Mapping[str, Any] | None = None,
             params: Mapping[str, str] | None = None) -> Mapping[str, Any]:
        """Send one request; the envelope of a success, else an error (see
        the module docstring). ``what`` names the operation in messages."""
        import httpx

        content = json.dumps(body).encode("utf-8") if body is not None else None
        headers = {"Content-Type": "application/json"} if content is not None else None
        try:
            response = self.http.request(method, path, content=content, params=params, headers=headers)
        except httpx.TimeoutException:
            raise OutcomeUnknown(
                f"Flutterwave did not answer {what} within {self._settings.TIMEOUT:g} s"
            ) from None
        except httpx.TransportError as error:
            raise OutcomeUnknown(f"could not reach Flutterwave to {what}: {type(error).__name__}") from None
        return _read(response.status_code, response.content, what)


def _read(status_code: int, content: bytes, what: str) -> Mapping[str, Any]:
    if status_code >= 500 or status_code == 429:
        raise OutcomeUnknown(f"Flutterwave answered HTTP {status_code} to {what}")
    if status_code in (401, 403):
        raise ProcessorSetupError(f"Flutterwave refused the secret key (HTTP {status_code}) to {what}")
    try:
        envelope = json.loads(content, parse_float=Decimal)
    except ValueError:
        if 200 <= status_code < 300:
            raise OutcomeUnknown(f"Flutterwave answered {what} with a body that is not JSON") from None
        raise FlutterwaveAPIError(f"Flutterwave refused to {what} (HTTP {status_code})", status_code) from None
    if not isinstance(envelope, Mapping):
        raise OutcomeUnknown(f"Flutterwave answered {what} with an unexpected JSON document")
    message = str(envelope.get("message") or "no message")
    if 200 <= status_code < 300 and str(envelope.get("status", "")).lower() == "success":
        return envelope
    raise FlutterwaveAPIError(
        f"Flutterwave refused to {what}: {message}", status_code, envelope.get("data"), message
    )
