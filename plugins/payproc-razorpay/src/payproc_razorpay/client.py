"""The Razorpay SDK client of one backend instance, built on first use.

``razorpay.Client`` takes a ``requests`` session; ours
(:class:`RecordingSession`) adds the two things the SDK lacks: a timeout on
every request (the SDK sets none, so a hung connection would hang the
checkout) and a record of the last error answer, whose HTTP status and
``reason``/``metadata`` fields the SDK's exceptions drop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import map_error

if TYPE_CHECKING:
    from .settings import RazorpaySettings

__all__ = ["RazorpayClient"]

T = TypeVar("T")

#: Where the exceptions of a Razorpay call come from (SDK, HTTP, JSON).
_TRANSPORT_MODULES = frozenset({"razorpay", "requests", "urllib3", "json", "simplejson", "http", "socket"})


def _session_class() -> type:
    import requests

    class RecordingSession(requests.Session):
        """A session with a default timeout that remembers, per thread, the
        status and ``error`` object of the last failed answer."""

        def __init__(self, timeout: float) -> None:
            super().__init__()
            self.timeout = timeout
            self._local = threading.local()

        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            kwargs.setdefault("timeout", self.timeout)
            self._local.last = (None, None)
            response = super().request(method, url, *args, **kwargs)
            if response.status_code >= 400:
                detail = None
                try:
                    body = response.json()
                    if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
                        detail = dict(body["error"])
                except ValueError:
                    pass
                self._local.last = (response.status_code, detail)
            return response

        def last_error(self) -> tuple[int | None, dict[str, Any] | None]:
            return getattr(self._local, "last", (None, None))

    return RecordingSession


class RazorpayClient:
    """Lazily built SDK client plus the error mapping around each call."""

    def __init__(self, settings: RazorpaySettings) -> None:
        self.settings = settings
        self._sdk: Any = None
        self._session: Any = None
        self._lock = threading.Lock()

    @property
    def sdk(self) -> Any:
        """The ``razorpay.Client``; imports the SDK on first use."""
        if self._sdk is None:
            with self._lock:
                if self._sdk is None:
                    import razorpay

                    self._session = _session_class()(self.settings.TIMEOUT)
                    client = razorpay.Client(
                        session=self._session,
                        auth=(self.settings.PUB_KEY, self.settings.PRIV_KEY.get_secret_value()),
                        base_url=self.settings.api_base,
                    )
                    client.set_app_details({"title": "payproc-razorpay", "version": "0.1.0"})
                    self._sdk = client
        return self._sdk

    def call(self, operation: Callable[..., T], *args: Any, provider: str | None = None, **kwargs: Any) -> T:
        """Run one SDK call; map its failure to a payproc error."""
        try:
            return operation(*args, **kwargs)
        except Exception as error:
            if type(error).__module__.split(".")[0] not in _TRANSPORT_MODULES:
                raise  # a bug, not an answer from Razorpay
            status, detail = self._session.last_error() if self._session is not None else (None, None)
            raise map_error(error, detail, status, provider) from error

    def error_detail(self) -> tuple[int | None, dict[str, Any] | None]:
        """Status and ``error`` object of the last failed answer on this thread."""
        return self._session.last_error() if self._session is not None else (None, None)
