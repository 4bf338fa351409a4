"""The processor's callbacks: ``POST /webhooks/<backend name>``.

The raw body goes unparsed to :meth:`Payproc.handle_webhook` (signatures are
computed over the exact bytes). The answer is 2xx only once the event is
stored, so the processor delivers it again after any failure; a bad or
missing signature is a 400 (the sender is wrong, retrying will not help),
never a 500.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..app import Payproc
from ..errors import WebhookVerificationError

__all__ = ["WebhookEndpoint"]

LOGGER = logging.getLogger("payproc.web")


class WebhookEndpoint:
    def __init__(self, app: Payproc) -> None:
        self.app = app

    async def handle(self, request: Request) -> Response:
        name = request.path_params["backend"]
        if name != self.app.backend.name:
            return JSONResponse({
                "error": "unknown_backend",
                "message": f"no webhook endpoint for backend {name!r}: this application's backend is "
                           f"{self.app.backend.name!r} (post to webhooks/{self.app.backend.name})",
            }, status_code=404)
        body = await request.body()
        headers = {key.lower(): value for key, value in request.headers.items()}
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
