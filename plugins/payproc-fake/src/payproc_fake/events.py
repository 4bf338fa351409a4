"""What the fake processor does by itself and tells through signed
webhooks: disputes, dashboard refunds, failed payouts."""

from __future__ import annotations

import copy
from typing import Any

from .charging import Charges
from .payouts import Payouts
from .records import Dispute
from .wire import new_id

__all__ = ["DISPUTE_KINDS", "Events"]

DISPUTE_KINDS = ("chargeback", "inquiry", "pre_arbitration")


class Events(Charges, Payouts):
    """What happens at the processor without the application asking."""

    def _signed(self, event_type: Any, charge_id: str | None, secret: str | None, **data: Any) -> tuple[bytes, dict[str, str]]:
        from .webhooks import build_event

        secret = secret or self.webhook_secret
        if not secret:
            raise ValueError(f"account {self.name!r} has no webhook secret: configure WEBHOOK_SECRET or pass secret=")
        return build_event(event_type, charge_id, secret=secret, timestamp=int(self.clock().timestamp()), **data)

    def open_dispute(
        self, charge_id: str, *, amount: int | None = None, kind: str = "chargeback", fee: int | None = None,
        secret: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """The cardholder disputes ``charge_id`` (``amount``: all of it by
        default; ``kind``: ``chargeback``, ``inquiry`` or
        ``pre_arbitration``): record it and return the signed
        ``dispute.created`` event, with the dispute's own figures."""
        from payproc.types import EventType

        from .fees import DISPUTE_FEE

        if kind not in DISPUTE_KINDS:
            raise ValueError(f"unknown dispute kind {kind!r}: expected one of {', '.join(DISPUTE_KINDS)}")
        with self._lock:
            charge = self._charges[charge_id]
            dispute = Dispute(new_id("dp"), charge_id, charge.amount if amount is None else amount, self.clock(),
                              kind=kind, fee=(0 if kind == "inquiry" else DISPUTE_FEE) if fee is None else fee)
            charge.disputes.append(dispute)
        return self._dispute_event(EventType.DISPUTE_CREATED, charge.currency, dispute, secret)

    def close_dispute(
        self, charge_id: str, *, won: bool | None = None, status: str | None = None, secret: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """Decide the charge's latest open dispute — ``won=True``/``False``,
        or ``status`` ``"prevented"`` / ``"warning_closed"`` (closed with no
        money moving) — and return the signed won/lost/closed event."""
        from payproc.types import EventType

        if status is None:
            if won is None:
                raise ValueError("say how the dispute ends: won=True/False or status=")
            status = "won" if won else "lost"
        if status not in ("won", "lost", "prevented", "warning_closed"):
            raise ValueError(f"unknown dispute outcome {status!r}")
        with self._lock:
            charge = self._charges[charge_id]
            open_ones = [d for d in charge.disputes if d.status == "needs_response"]
            if not open_ones:
                raise ValueError(f"charge {charge_id} has no open dispute")
            dispute = open_ones[-1]
            dispute.status = status
        event_type = {"won": EventType.DISPUTE_WON, "lost": EventType.DISPUTE_LOST}.get(status,
                                                                                        EventType.DISPUTE_CLOSED)
        return self._dispute_event(event_type, charge.currency, dispute, secret)

    def _dispute_event(self, event_type: Any, currency: str, dispute: Dispute,
                       secret: str | None) -> tuple[bytes, dict[str, str]]:
        figures = {"id": dispute.id, "kind": dispute.kind, "status": dispute.status, "amount": dispute.amount,
                   "currency": currency, "fee": dispute.fee}
        return self._signed(event_type, dispute.charge, secret, amount=dispute.amount, currency=currency,
                            dispute=figures)

    def fail_payout(self, payout_id: str, *, secret: str | None = None) -> tuple[bytes, dict[str, str]]:
        """The bank returns payout ``payout_id`` (it can, even after it was
        paid): mark it failed and return the signed ``transfer.failed``
        event."""
        from payproc.types import EventType

        with self._lock:
            payout = self._payouts[payout_id]
            payout.status = "failed"
        return self._signed(EventType.TRANSFER_FAILED, None, secret, amount=payout.amount,
                            currency=payout.currency, transfer=payout.id)

    def refund_from_dashboard(
        self, charge_id: str, amount: int | None = None, *, secret: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """A refund made outside the application (the processor's
        dashboard): do it and return the signed ``charge.refunded`` event."""
        from payproc.types import EventType

        with self._lock:
            charge = self._charges[charge_id]
            left = charge.amount - charge.amount_refunded
            refund = copy.deepcopy(self._make_refund(charge_id, left if amount is None else amount, 0, None))
        return self._signed(
            EventType.CHARGE_REFUNDED, charge_id, secret, amount=refund.amount, currency=refund.currency,
            refund=refund.id,
        )
