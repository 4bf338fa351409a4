"""What the fake processor does by itself and tells through signed
webhooks: disputes, dashboard refunds, failed payouts."""

from __future__ import annotations

from typing import Any

from .charging import Charges
from .payouts import Payouts
from .records import Dispute
from .wire import new_id

__all__ = ["Events"]


class Events(Charges, Payouts):

    def _signed(self, event_type: Any, charge_id: str, secret: str | None, **data: Any) -> tuple[bytes, dict[str, str]]:
        from .webhooks import build_event

        secret = secret or self.webhook_secret
        if not secret:
            raise ValueError(f"account {self.name!r} has no webhook secret: configure WEBHOOK_SECRET or pass secret=")
        return build_event(event_type, charge_id, secret=secret, timestamp=int(self.clock().timestamp()), **data)

    def open_dispute(
        self, charge_id: str, *, amount: int | None = None, secret: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """The cardholder disputes ``charge_id``: mark it and return the signed
        ``dispute.created`` event the processor would send."""
        from payproc.types import EventType

        with self._lock:
            charge = self._charges[charge_id]
            dispute = Dispute(new_id("dp"), charge_id, charge.amount if amount is None else amount, self.clock())
            charge.dispute = dispute
        return self._signed(
            EventType.DISPUTE_CREATED, charge_id, secret, amount=dispute.amount, currency=charge.currency
        )

    def close_dispute(self, charge_id: str, *, won: bool, secret: str | None = None) -> tuple[bytes, dict[str, str]]:
        """Settle the charge's dispute; return the signed won/lost event."""
        from payproc.types import EventType

        with self._lock:
            charge = self._charges[charge_id]
            if charge.dispute is None:
                raise ValueError(f"charge {charge_id} has no dispute")
            charge.dispute.status = "won" if won else "lost"
            amount = charge.dispute.amount
        event_type = EventType.DISPUTE_WON if won else EventType.DISPUTE_LOST
        return self._signed(event_type, charge_id, secret, amount=amount, currency=charge.currency)

    def refund_from_dashboard(
        self, charge_id: str, amount: int | None = None, *, secret: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """A refund made outside the application (the processor's
        dashboard): do it and return the signed ``charge.refunded`` event."""
        from payproc.types import EventType

        with self._lock:
            charge = self._charges[charge_id]
            left = charge.amount - charge.amount_refunded
        refund = self.refund(charge_id, left if amount is None else amount, idempotency_key=new_id("dash"))
        return self._signed(
            EventType.CHARGE_REFUNDED, charge_id, secret, amount=refund.amount, currency=refund.currency,
            refund=refund.id,
        )
