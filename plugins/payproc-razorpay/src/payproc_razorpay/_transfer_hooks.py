"""Story: payouts to providers through Razorpay Route.

Hooks: ``create_transfer`` (idempotent with ``X-Transfer-Idempotency``),
``retrieve_transfer``, ``reconcile_transfers``, ``prorate_transfer``,
``retrieve_bank``, ``get_deposit_context``; the work is in
:mod:`.transfers`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from payproc import hookimpl

from ._base import BackendBase

if TYPE_CHECKING:
    from payproc.types import BankInfo, Party, TransferRecord, TransferRef

__all__ = ["TransferHooks"]


class TransferHooks(BackendBase):
    @hookimpl
    def create_transfer(
        self, provider: Party, amount: int, currency: str, descr: str | None, idempotency_key: str
    ) -> TransferRecord:
        from .transfers import Transfers

        return Transfers(self.client).create(provider, amount, currency, descr, idempotency_key)

    @hookimpl
    def retrieve_transfer(self, transfer: TransferRef) -> TransferRecord | None:
        from .transfers import Transfers

        return Transfers(self.client).retrieve(transfer)

    @hookimpl
    def reconcile_transfers(self, provider: Party, since: datetime, limit_to_one_request: bool) -> Sequence[TransferRecord]:
        from .transfers import Transfers

        return Transfers(self.client).reconcile(provider, since, limit_to_one_request)

    @hookimpl
    def prorate_transfer(self, amount: int, provider: Party) -> int:
        from .transfers import transfer_fee

        return transfer_fee(amount)

    @hookimpl
    def retrieve_bank(self, provider: Party, broker: Party, includes_balance: bool) -> BankInfo:
        """The linked account as its owner knows it; Razorpay shows no
        linked-account balance through the API, so none is given."""
        from payproc.types import BankInfo

        from .transfers import Transfers

        account = Transfers.account_of(provider)
        return BankInfo(bank_name="Razorpay Route", last4="***-" + account[-4:])

    @hookimpl
    def get_deposit_context(self, provider: Party) -> Mapping[str, Any]:
        return {"RAZORPAY_PUB_KEY": self.settings.PUB_KEY}
