"""Story: Razorpay's webhooks — verified by signature, then normalized.

Hook: ``parse_webhook``; the work is in :mod:`.webhooks`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from payproc import hookimpl

from ._base import BackendBase

if TYPE_CHECKING:
    from payproc.types import WebhookEvent

__all__ = ["WebhookHooks"]


class WebhookHooks(BackendBase):
    @hookimpl
    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        from .webhooks import parse_event

        secret = self._settings.WEBHOOK_SECRET if self._settings is not None else None
        return parse_event(body, {k.lower(): v for k, v in headers.items()}, secret.get_secret_value() if secret else None)
