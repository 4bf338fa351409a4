"""Razorpay Route: direct transfers to a provider's linked account.

A provider's ``deposit_key`` is its Route linked account (``acc_…``).
``create_transfer`` moves money from the merchant balance to that account
(``POST /v1/transfers``); Razorpay then settles the linked account to its
bank on its own schedule. Route moves INR only.

Direct transfers are idempotent with Razorpay's ``X-Transfer-Idempotency``
header (4-36 letters, digits, hyphens, underscores or spaces; a retry must
send the same body). payproc's key is stable for one intended payout;
:func:`transfer_key` maps it to a header value that fits, deterministically.
The key also travels in ``notes``, which is how :meth:`Transfers.retrieve`
finds a payout whose answer was lost (Razorpay has no look-up by the key).

Route's fee is modeled as 0.25% of the amount plus 18% GST on it
(:func:`transfer_fee`), matching the ``fees``/``tax`` Razorpay reports.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from payproc.errors import IntegrityMismatch, InvalidAmount, ProcessorSetupError
from payproc.money import normalize_currency, validate_amount
from payproc.types import Party, TransferRecord, TransferRef

from .amounts import shown
from .client import RazorpayClient
from .convert import from_timestamp

__all__ = ["IDEMPOTENCY_HEADER", "Transfers", "transfer_fee", "transfer_key"]

PAGE = 100
IDEMPOTENCY_HEADER = "X-Transfer-Idempotency"
_KEY_CHARS = re.compile(r"[A-Za-z0-9 _-]{4,36}")
_STATUS = {"processed": "paid", "created": "pending", "pending": "pending", "failed": "failed",
           "reversed": "canceled"}
#: How far before the core recorded a payout :meth:`Transfers.retrieve`
#: looks for it (clocks differ; Razorpay's created_at is its own).
_CLOCK_SLACK = timedelta(hours=1)


def transfer_fee(amount: int) -> int:
    """Route's fee on a transfer of ``amount`` paise, GST included."""
    fee = (amount * 25 + 5000) // 10000
    return fee + (fee * 18 + 50) // 100


def transfer_key(idempotency_key: str) -> str:
    """The ``X-Transfer-Idempotency`` value for payproc's key: the key when
    Razorpay accepts it as is, else ``pp-`` and 32 hex digits of its SHA-256
    (35 characters): the same key always gives the same value."""
    if _KEY_CHARS.fullmatch(idempotency_key):
        return idempotency_key
    return "pp-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]


def _notes(transfer: Mapping[str, Any]) -> Mapping[str, Any]:
    notes = transfer.get("notes")
    return notes if isinstance(notes, Mapping) else {}


def _record(transfer: Mapping[str, Any], description: str = "") -> TransferRecord:
    notes = _notes(transfer)
    return TransferRecord(
        processor_key=str(transfer["id"]),
        amount=int(transfer["amount"]),
        currency=str(transfer["currency"]).lower(),
        created_at=from_timestamp(transfer.get("created_at")),
        description=description or str(notes.get("description", "")),
        status=_STATUS.get(str(transfer.get("status")), "pending"),
        idempotency_key=notes.get("payproc_idempotency_key"),
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
        notes = {"payproc_idempotency_key": idempotency_key[:256], "payproc_provider": provider.slug[:256]}
        if descr:
            notes["description"] = descr[:256]
        client = self.client
        transfer = client.call(
            client.sdk.transfer.create,
            {"account": account, "amount": amount, "currency": "INR", "notes": notes, "on_hold": False},
            headers={IDEMPOTENCY_HEADER: transfer_key(idempotency_key)},
            provider=provider.slug,
        )
        if transfer.get("recipient") != account or transfer.get("amount") != amount:
            raise IntegrityMismatch(
                f"Razorpay transfer {transfer.get('id')} pays {shown(transfer.get('amount'), 'inr')} to "
                f"{transfer.get('recipient')}, not {shown(amount, 'inr')} to {account}"
            )
        return _record(transfer, descr or "")

    def retrieve(self, ref: TransferRef) -> TransferRecord | None:
        """The payout ``ref`` names: by id, else the transfer to the
        provider's account whose notes carry the key, among every transfer
        since shortly before the core recorded it. ``None``: Razorpay has
        none (the request never reached it)."""
        client, provider = self.client, ref.provider.slug
        if ref.processor_key:
            return _record(client.call(client.sdk.transfer.fetch, ref.processor_key, provider=provider))
        account = self.account_of(ref.provider)
        for transfer in self._since(ref.created_at - _CLOCK_SLACK, provider, limit_to_one_request=False):
            if transfer.get("recipient") == account and _notes(transfer).get("payproc_idempotency_key") == \
                    ref.idempotency_key[:256]:
                return _record(transfer)
        return None

    def _since(self, since: datetime, provider: str, *, limit_to_one_request: bool) -> list[Mapping[str, Any]]:
        client = self.client
        found: list[Mapping[str, Any]] = []
        skip = 0
        while True:
            page = client.call(client.sdk.transfer.all, {"from": int(since.timestamp()), "count": PAGE, "skip": skip},
                               provider=provider)
            items = page.get("items", [])
            found.extend(items)
            if limit_to_one_request or len(items) < PAGE:
                return found
            skip += len(items)

    def reconcile(self, provider: Party, since: datetime, limit_to_one_request: bool) -> Sequence[TransferRecord]:
        """Transfers to ``provider``'s linked account since ``since``, oldest first."""
        account = self.account_of(provider)
        found = [item for item in self._since(since, provider.slug, limit_to_one_request=limit_to_one_request)
                 if item.get("recipient") == account]
        # Razorpay lists newest first; reversed, then a stable sort on the
        # second-grained created_at keeps same-second transfers in order.
        found.reverse()
        found.sort(key=lambda item: item.get("created_at", 0))
        return [_record(item) for item in found]
