"""The processor's callbacks: ``POST /webhooks/<backend name>``.

The raw body goes unparsed to :meth:`Payproc.handle_webhook` (signatures are
computed over the exact bytes). The answer is 2xx only once the event is
stored, so the processor delivers it again after any failure; a bad or
missing signature is a 400 (the sender is wrong, retrying will not help),
never a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..app import Payproc
from ..errors import WebhookVerificationError
from ..webhook_inbox import StoredWebhook, store_webhook
from .errors import ApiError
from .fields import MAX_WEBHOOK_BODY, read_body

__all__ = ["WebhookEndpoint"]

LOGGER = logging.getLogger("payproc.web")


class WebhookEndpoint:
    """``defer``: deferred intake (payproc.webhook_inbox). The event is
    verified and stored in the request, then ``defer(stored)`` hands it to a
    task (e.g. ``tasks.defer_webhook`` of payproc.integrations.celery); the
    answer is 202 once both are done, 5xx if either failed (the processor
    delivers again; a stored event is queued again, applied once)."""

    def __init__(self, app: Payproc, defer: Callable[[StoredWebhook], object] | None = None) -> None:
        self.app = app
        self.defer = defer

    async def handle(self, request: Request) -> Response:
        name = request.path_params["backend"]
        if name != self.app.backend.name:
            return JSONResponse({
                "error": "unknown_backend",
                "message": f"no webhook endpoint for backend {name!r}: this application's backend is "
                           f"{self.app.backend.name!r} (post to webhooks/{self.app.backend.name})",
            }, status_code=404)
        try:
            body = await read_body(request, MAX_WEBHOOK_BODY)
        except ApiError as error:
            LOGGER.warning("webhook for %s refused: %s", name, error.message)
            return JSONResponse({"error": error.code, "message": error.message}, status_code=error.status)
        headers = {key.lower(): value for key, value in request.headers.items()}
        if self.defer is not None:
            return await self._store(name, body, headers)
        try:
            outcome = await run_in_threadpool(self.app.handle_webhook, body, headers)
        except WebhookVerificationError as error:
            LOGGER.warning("webhook for %s refused: %s", name, error)
            return JSONResponse({"error": "webhook_verification_failed", "message": str(error)}, status_code=400)
        except Exception:
            # Not stored: a 5xx makes the processor deliver it again.
            LOGGER.exception("webhook for %s could not be stored; the processor will retry", name)
            return JSONResponse({"error": "webhook_not_stored",
                                 "message": "the event could not be stored; deliver it again"}, status_code=500)
        return JSONResponse({"event_id": outcome.event_id, "type": outcome.type, "status": outcome.status,
                             "charge_id": outcome.charge_id})

    async def _store(self, name: str, body: bytes, headers: dict[str, str]) -> Response:
        assert self.defer is not None
        try:
            stored = await run_in_threadpool(store_webhook, self.app, body, headers)
            if stored.status == "queued":
                await run_in_threadpool(self.defer, stored)
        except WebhookVerificationError as error:
            LOGGER.warning("webhook for %s refused: %s", name, error)
            return JSONResponse({"error": "webhook_verification_failed", "message": str(error)}, status_code=400)
        except Exception:
            LOGGER.exception("webhook for %s could not be stored or queued; the processor will retry", name)
            return JSONResponse({"error": "webhook_not_stored",
                                 "message": "the event could not be stored; deliver it again"}, status_code=500)
        return JSONResponse({"event_id": stored.event_id, "type": stored.type, "status": stored.status,
                             "inbox_id": stored.inbox_id}, status_code=202)
