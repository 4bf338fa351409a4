"""Deferred webhook intake: verify and store in the request, apply in a task.

An application that answers the processor at once and does the work in a
job queue (Celery: :mod:`payproc.integrations.celery`) splits
:meth:`Payproc.handle_webhook` in two:

1. :func:`store_webhook`, in the HTTP request: the backend verifies the
   delivery (signature, or a re-read from the processor) and the verified
   event is stored in ``payproc_webhook_inbox``, unique per backend and event
   id, before the endpoint answers 2xx. What is stored is the verified event,
   not the raw body to be verified again later: signatures carry a
   timestamp that the backend refuses once it is a few minutes old, and a
   queue may be slower than that.
2. :func:`process_stored`, in a task: the stored event goes through the same
   code as an immediate delivery (:func:`payproc.flows.webhooks.apply_verified`),
   whose unique (backend, event id) record makes a second run a no-op. The
   inbox row is marked processed afterwards; a task that dies in between runs
   again (at-least-once delivery), finds the event recorded, and only marks
   the row (its ``outcome`` then reads ``duplicate``). So each event is
   applied exactly once, however often the task runs and however often the
   processor delivers it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import TypeAdapter
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .db.models import WebhookInboxRow
from .flows import _common as common
from .flows.webhooks import WebhookOutcome, apply_verified, verify_webhook
from .types import WebhookEvent

if TYPE_CHECKING:
    from .app import Payproc

__all__ = ["StoredWebhook", "process_stored", "store_webhook"]

_EVENT = TypeAdapter(WebhookEvent)


@dataclass(frozen=True)
class StoredWebhook:
    """A verified delivery kept for later: ``status`` is ``queued`` (not
    applied yet: send it to a task; a redelivery before the task ran is
    queued again, harmlessly) or ``duplicate`` (already applied)."""

    inbox_id: int
    event_id: str
    type: str
    status: str


def store_webhook(app: Payproc, body: bytes, headers: Mapping[str, str]) -> StoredWebhook:
    """Verify ``body`` and keep the event (raises
    :class:`~payproc.errors.WebhookVerificationError` like
    :meth:`Payproc.handle_webhook`; nothing is stored then)."""
    event = verify_webhook(app, body, headers)
    backend = app.backend.name
    try:
        with app.db.transaction() as session:
            row = WebhookInboxRow(backend=backend, event_id=event.event_id,
                                  event=_EVENT.dump_json(event).decode("utf-8"))
            session.add(row)
            session.flush()
            return StoredWebhook(row.id, event.event_id, event.type.value, "queued")
    except IntegrityError:
        with app.db.transaction() as session:
            found = session.execute(select(WebhookInboxRow.id, WebhookInboxRow.processed_at).where(
                WebhookInboxRow.backend == backend, WebhookInboxRow.event_id == event.event_id)).first()
        if found is None:  # pragma: no cover - rows are never deleted
            raise
        status = "queued" if found.processed_at is None else "duplicate"
        return StoredWebhook(found.id, event.event_id, event.type.value, status)


def process_stored(app: Payproc, inbox_id: int) -> WebhookOutcome:
    """Apply the stored event ``inbox_id`` once (see the module docstring);
    a row already processed answers ``duplicate`` without touching anything."""
    with app.db.transaction() as session:
        row = session.get(WebhookInboxRow, inbox_id)
        if row is None:
            raise LookupError(f"no stored webhook {inbox_id}")
        if row.processed_at is not None:
            event = _EVENT.validate_json(row.event)
            return WebhookOutcome(event.event_id, event.type.value, "duplicate")
        event = _EVENT.validate_json(row.event)
    outcome = apply_verified(app, event)
    with app.db.transaction() as session:
        session.execute(update(WebhookInboxRow)
                        .where(WebhookInboxRow.id == inbox_id, WebhookInboxRow.processed_at.is_(None))
                        .values(processed_at=common.now(), outcome=outcome.status))
    return outcome
