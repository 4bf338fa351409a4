"""Payouts to providers and their banks on the fake processor."""

from __future__ import annotations

from datetime import datetime

from .records import Payout
from .wire import ApiError, Server, new_id

__all__ = ["Payouts"]


class Payouts(Server):
    """Payouts (``po_fake_…``) to a provider's destination, and its bank."""

    def create_payout(
        self, destination: str, amount: int, currency: str, description: str, *, idempotency_key: str
    ) -> Payout:
        def action() -> Payout:
            if amount <= 0:
                raise ApiError(400, "amount_invalid", f"Payout amount must be positive, got {amount}")
            payout = Payout(new_id("po"), destination, amount, currency, description, self.clock(),
                            idempotency_key=idempotency_key)
            self._payouts[payout.id] = payout
            return payout

        payout, _ = self._request(
            "create_payout", action, key=idempotency_key, params=(destination, amount, currency),
            find=self._payouts.__getitem__,
        )
        return payout

    def retrieve_payout(self, payout_id: str | None = None, *, idempotency_key: str | None = None) -> Payout | None:
        """The payout with that id, else the one made with
        ``idempotency_key``, or ``None`` (a 404)."""

        return self._lookup("retrieve_payout", self._payouts, payout_id, idempotency_key)

    def list_payouts(self, destination: str, since: datetime) -> list[Payout]:
        """Payouts to ``destination`` created at or after ``since``, oldest first."""
        payouts, _ = self._request(
            "list_payouts",
            lambda: sorted(
                (p for p in self._payouts.values() if p.destination == destination and p.created >= since),
                key=lambda p: p.created,
            ),
        )
        return payouts

    def balance(self, provider: str, destination: str) -> dict[str, int]:
        """What the provider's account holds, per currency: its share of the
        charges made for it, less the payouts to ``destination``."""
        from .fees import split

        def action() -> dict[str, int]:
            totals: dict[str, int] = {}
            for charge in self._charges.values():
                if charge.provider == provider and charge.status == "succeeded":
                    net, _, _ = split(charge.amount, charge.amount_refunded, charge.application_fee)
                    totals[charge.currency] = totals.get(charge.currency, 0) + net
            for payout in self._payouts.values():
                if payout.destination == destination and payout.status != "failed":
                    totals[payout.currency] = totals.get(payout.currency, 0) - payout.amount
            return totals

        totals, _ = self._request("retrieve_balance", action)
        return totals

    def attach_bank(self, destination: str, bank_token: str) -> str:
        """Attach a bank account (token ``btok_…``); returns its last 4 digits."""

        def action() -> str:
            if not bank_token.startswith("btok_") or bank_token == "btok_invalid":
                raise ApiError(400, "resource_missing", "No such bank account token")
            digits = "".join(char for char in bank_token if char.isdigit())
            last4 = digits[-4:] if len(digits) >= 4 else "6789"
            self._banks[destination] = last4
            return last4

        last4, _ = self._request("attach_bank", action)
        return last4

    def bank_last4(self, destination: str) -> str | None:
        last4, _ = self._request("retrieve_bank", lambda: self._banks.get(destination))
        return last4

