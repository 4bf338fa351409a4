"""Razorpay Route: direct transfers to a provider's linked account.

A provider's ``deposit_key`` is its Route linked account (``acc_…``).
``create_transfer`` moves money from the merchant balance to that account
(``POST /v1/transfers``); Razorpay then settles the linked account to its
bank on its own schedule. Route moves INR only.

Razorpay transfers have no idempotency header and no receipt, so the
idempotency key travels in ``notes`` and a retry first looks for it among the
latest transfers (one page of 100): a retry long after many other transfers
would not find it.

Route's fee is modeled as 0.25% of the amount plus 18% GST on it
(:func:`transfer_fee`), matching the ``fees``/``tax`` Razorpay reports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from payproc.errors import InvalidAmount, ProcessorError, ProcessorSetupError
from payproc.money import normalize_currency, validate_amount
from payproc.types import Party, TransferRecord

from .client import RazorpayClient
from .convert import from_timestamp

__all__ = ["Transfers", "transfer_fee"]

PAGE = 100
_STATUS = {"processed": "paid", "created": "pending", "pending": "pending", "failed": "failed"}


def transfer_fee(amount: int) -> int:
    """Route's fee on a transfer of ``amount`` paise, GST included."""
    fee = (amount * 25 + 5000) // 10000
    return fee + (fee * 18 + 50) // 100


def _record(transfer: Mapping[str, Any], description: str = "") -> TransferRecord:
    notes = transfer.get("notes") if isinstance(transfer.get("notes"), Mapping) else {}
    return TransferRecord(
        processor_key=str(transfer["id"]),
        amount=int(transfer["amount"]),
        currency=str(transfer["currency"]).lower(),
        created_at=from_timestamp(transfer.get("created_at")),
        description=description or str(notes.get("description", "")),
        status=_STATUS.get(str(transfer.get("status")), str(transfer.get("status") or "pending")),
    )


class Transfers:
    def __init__(self, client: RazorpayClient) -> None:
        self.client = client

    @staticmethod
    def account_of(provider: Party) -> str:
        account = provider.keys.deposit_key
        if not account or not account.startswith("acc_"):
            raise ProcessorSetupError(
                f"{provider.slug} has no Razorpay Route linked account: set its deposit key to the "
                "linked account id (acc_…)",
                provider.slug,
            )
        return account

    def create(self, provider: Party, amount: int, currency: str, descr: str | None, idempotency_key: str) -> TransferRecord:
        validate_amount(amount)
        currency = normalize_currency(currency)
        if currency != "inr":
            raise InvalidAmount(f"Razorpay Route transfers are in INR only, not {currency.upper()}")
        account = self.account_of(provider)
        client = self.client
        latest = client.call(client.sdk.transfer.all, {"count": PAGE}, provider=provider.slug)
        for transfer in latest.get("items", []):
            notes = transfer.get("notes") if isinstance(transfer.get("notes"), Mapping) else {}
            if notes.get("payproc_idempotency_key") == idempotency_key[:256]:
                if transfer.get("recipient") != account or transfer.get("amount") != amount:
                    raise ProcessorError(
                        f"idempotency key already used by Razorpay transfer {transfer.get('id')} "
                        "for another account or amount"
                    )
                return _record(transfer, descr or "")
        notes_out = {"payproc_idempotency_key": idempotency_key[:256], "payproc_provider": provider.slug[:256]}
        if descr:
            notes_out["description"] = descr[:256]
        transfer = client.call(
            client.sdk.transfer.create,
            {"account": account, "amount": amount, "currency": "INR", "notes": notes_out, "on_hold": False},
            provider=provider.slug,
        )
        return _record(transfer, descr or "")

    def reconcile(self, provider: Party, since: datetime, limit_to_one_request: bool) -> Sequence[TransferRecord]:
        """Transfers to ``provider``'s linked account since ``since``, oldest first."""
        account = self.account_of(provider)
        client = self.client
        found: list[Mapping[str, Any]] = []
        skip = 0
        while True:
            page = client.call(
                client.sdk.transfer.all,
                {"from": int(since.timestamp()), "count": PAGE, "skip": skip},
                provider=provider.slug,
            )
            items = page.get("items", [])
            found.extend(item for item in items if item.get("recipient") == account)
            if limit_to_one_request or len(items) < PAGE:
                break
            skip += len(items)
        # Razorpay lists newest first; reversed, then a stable sort on the
        # second-grained created_at keeps same-second transfers in order.
        found.reverse()
        found.sort(key=lambda item: item.get("created_at", 0))
        return [_record(item) for item in found]
