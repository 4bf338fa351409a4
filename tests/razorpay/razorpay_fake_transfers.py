"""Route direct transfers in the fake Razorpay, with Razorpay's
``X-Transfer-Idempotency`` rules: the key is 4-36 letters, digits, hyphens,
underscores or spaces; a retry with the same key and the same body answers
the first transfer; the same key with another body is a ``BAD_REQUEST``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from razorpay_fake_errors import RazorpayError, amount_of, notes, only
from razorpay_fake_money import transfer_fee
from razorpay_fake_webhooks import MERCHANT_ACCOUNT

IDEMPOTENCY_HEADER = "X-Transfer-Idempotency"
_KEY = re.compile(r"[A-Za-z0-9 _-]{4,36}")


class Transfers:
    """Mixed into :class:`razorpay_fake_state.FakeRazorpayState`."""

    transfers: dict[str, dict[str, Any]]
    accounts: set[str]
    #: idempotency key -> (request body, transfer id)
    transfer_keys: dict[str, tuple[dict[str, Any], str]]

    def create_transfer(self, data: Mapping[str, Any], key: str | None = None) -> dict[str, Any]:
        if key is not None:
            if not _KEY.fullmatch(key):
                raise RazorpayError(
                    "The idempotency key must be 4-36 characters of letters, numbers, hyphens, underscores "
                    "or spaces", field=IDEMPOTENCY_HEADER)
            if key in self.transfer_keys:
                body, transfer_id = self.transfer_keys[key]
                if body != dict(data):
                    raise RazorpayError("Different request body sent for the same idempotency key",
                                        field=IDEMPOTENCY_HEADER)
                return self.transfers[transfer_id]
        transfer = self._new_transfer(data)
        if key is not None:
            self.transfer_keys[key] = (dict(data), transfer["id"])
        return transfer

    def _new_transfer(self, data: Mapping[str, Any]) -> dict[str, Any]:
        only(data, {"account", "amount", "currency", "notes", "linked_account_notes", "on_hold", "on_hold_until"})
        if data.get("account") not in self.accounts:
            raise RazorpayError("The account provided is not a linked account", field="account")
        if data.get("currency") != "INR":
            raise RazorpayError("Currency other than INR is not supported for transfers", field="currency")
        amount = amount_of(data, "INR")
        fee, tax = transfer_fee(amount)
        if self.balance < amount + fee:
            raise RazorpayError("Merchant doesn't have sufficient balance for the transfer", field="amount")
        self.balance -= amount + fee
        now = self.now()
        transfer = {
            "id": self.new_id("trf"),
            "entity": "transfer",
            "status": "processed",
            "source": MERCHANT_ACCOUNT,
            "recipient": data["account"],
            "amount": amount,
            "currency": "INR",
            "amount_reversed": 0,
            "fees": fee,
            "tax": tax,
            "notes": notes(data.get("notes")),
            "linked_account_notes": [],
            "on_hold": bool(data.get("on_hold", False)),
            "on_hold_until": data.get("on_hold_until"),
            "settlement_status": None,
            "recipient_settlement_id": None,
            "created_at": now,
            "processed_at": now,
            "error": {"code": None, "description": None, "reason": None, "field": None,
                      "step": None, "id": None, "source": None, "metadata": None},
        }
        self.transfers[transfer["id"]] = transfer
        self.emit("transfer.processed", transfer=transfer)
        return transfer
