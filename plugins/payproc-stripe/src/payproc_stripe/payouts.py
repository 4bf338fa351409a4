"""Payouts to a provider's bank account and what the provider's account holds.

Stripe calls (on the provider's connected account outside LOCAL mode):

* ``create_transfer``: ``POST /v1/payouts`` with the core's stable
  idempotency key (header and ``metadata``), so a retry never pays twice;
* ``retrieve_transfer``: ``GET /v1/payouts/{id}``, else
  ``GET /v1/payouts?created[gte]=…`` matching the key in the metadata;
* ``reconcile_transfers``: ``GET /v1/payouts?status=paid&created[gt]=…``,
  following ``starting_after`` until ``has_more`` is false;
* ``retrieve_bank``: ``GET /v1/account`` (LOCAL: the platform's own) or
  ``GET /v1/accounts/{id}`` (the default external account), ``GET /v1/balance``;
* ``update_bank``: ``POST /v1/accounts/{id}`` with ``external_account``
  (connected accounts only: Stripe's API does not change an account's own
  bank account, so LOCAL mode refuses before any call).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from payproc.errors import IntegrityMismatch, ProcessorError, ProcessorSetupError
from payproc.types import BankInfo, Party, TransferRecord, TransferRef, TransferStatus

from .amounts import check_payout, from_stripe, to_stripe
from .api import StripeApi
from .builders import IDEMPOTENCY_METADATA, statement_descriptor_suffix
from .charges import timestamp
from .errors import is_missing
from .routing import Route, transfer_route

__all__ = ["Payouts"]


#: Stripe's payout statuses as payproc's.
STATUS = {
    "pending": TransferStatus.PENDING,
    "in_transit": TransferStatus.PENDING,
    "paid": TransferStatus.PAID,
    "failed": TransferStatus.FAILED,
    "canceled": TransferStatus.CANCELED,
}


def _record(payout: dict[str, Any]) -> TransferRecord:
    return TransferRecord(
        processor_key=payout["id"],
        amount=from_stripe(payout["amount"], payout["currency"]),
        currency=payout["currency"],
        created_at=timestamp(payout.get("created")),
        description=payout.get("description") or "",
        status=STATUS.get(str(payout.get("status")), TransferStatus.PENDING).value,
        idempotency_key=(payout.get("metadata") or {}).get(IDEMPOTENCY_METADATA),
    )


class Payouts:
    def __init__(self, api: StripeApi) -> None:
        self.api = api

    def create_transfer(
        self, provider: Party, amount: int, currency: str, descr: str | None, idempotency_key: str
    ) -> TransferRecord:
        check_payout(amount, currency)
        route = transfer_route(self.api.settings, provider)
        params: dict[str, Any] = {
            "amount": to_stripe(amount, currency),
            "currency": currency,
            "metadata": {IDEMPOTENCY_METADATA: idempotency_key},
        }
        if descr:
            params["description"] = descr
        descriptor = statement_descriptor_suffix(provider.name)
        if descriptor:
            params["statement_descriptor"] = descriptor
        payout = self.api.request(
            route, self.api.v1.payouts.create, params=params, idempotency_key=idempotency_key, setup_party=provider.slug
        )
        record = _record(payout)
        if record.amount != amount or record.currency != currency:
            raise IntegrityMismatch(f"Stripe paid out {record.amount} {record.currency} for {amount} {currency}")
        return record

    def retrieve_transfer(self, transfer: TransferRef) -> TransferRecord | None:
        """The payout, by id, else by the idempotency key kept in its metadata
        among the provider's payouts created since the request (a day's margin)."""
        route = transfer_route(self.api.settings, transfer.provider)
        if transfer.processor_key:
            try:
                return _record(self.api.request(
                    route, self.api.v1.payouts.retrieve, transfer.processor_key, setup_party=transfer.provider.slug
                ))
            except ProcessorError as error:
                if is_missing(error):
                    return None
                raise
        params = {"created": {"gte": int(transfer.created_at.timestamp()) - 86400}, "limit": 100}
        for item in self.api.iterate(route, self.api.v1.payouts.list, params, setup_party=transfer.provider.slug):
            if (item.get("metadata") or {}).get(IDEMPOTENCY_METADATA) == transfer.idempotency_key:
                return _record(item)
        return None

    def reconcile(self, provider: Party, since: datetime, limit_to_one_request: bool) -> Sequence[TransferRecord]:
        route = transfer_route(self.api.settings, provider)
        params = {"status": "paid", "created": {"gt": int(since.timestamp())}, "limit": 100}
        payouts = [
            _record(item)
            for item in self.api.iterate(
                route, self.api.v1.payouts.list, params, setup_party=provider.slug, one_page=limit_to_one_request
            )
        ]
        return sorted(payouts, key=lambda record: (record.created_at, record.processor_key))

    def _account(self, route: Route, party: str) -> dict[str, Any]:
        if route.account:
            return self.api.request(route, self.api.v1.accounts.retrieve, route.account, setup_party=party)
        return self.api.request(route, self.api.v1.accounts.retrieve_current, setup_party=party)

    def retrieve_bank(self, provider: Party, broker: Party, includes_balance: bool) -> BankInfo:
        route = transfer_route(self.api.settings, provider)
        try:
            account = self._account(route, provider.slug)
            banks = (account.get("external_accounts") or {}).get("data") or []
            bank = next((item for item in banks if item.get("default_for_currency")), banks[0] if banks else {})
            info = BankInfo(
                bank_name=bank.get("bank_name") or "Stripe",
                last4=f"***-{bank['last4']}" if bank.get("last4") else f"***-{account['id'][-4:]}",
            )
            if not includes_balance:
                return info
            balance = self.api.request(route, self.api.v1.balance.retrieve, setup_party=provider.slug)
        except ProcessorSetupError:
            raise
        except ProcessorError:
            return BankInfo(bank_name="N/A")
        available = balance.get("available") or []
        preferred = account.get("default_currency")
        entry = next((item for item in available if item.get("currency") == preferred), available[0] if available else None)
        if entry is None:
            return info
        return BankInfo(
            bank_name=info.bank_name,
            last4=info.last4,
            balance_amount=from_stripe(entry["amount"], entry["currency"]),
            balance_unit=entry["currency"],
        )

    def update_bank(self, provider: Party, bank_token: str) -> BankInfo:
        route = transfer_route(self.api.settings, provider)
        if not route.account:
            # POST /v1/accounts/{id} "updates a connected account": an account's own
            # bank account (LOCAL mode pays out to the platform's) is set in the Dashboard.
            raise ProcessorError(
                "in LOCAL mode payouts go to the platform's own bank account, which Stripe lets you change "
                "only in its Dashboard (the API updates connected accounts)"
            )
        account = self.api.request(
            route,
            self.api.v1.accounts.update,
            route.account,
            params={"external_account": bank_token},
            setup_party=provider.slug,
        )
        banks = (account.get("external_accounts") or {}).get("data") or []
        bank = banks[0] if banks else {}
        return BankInfo(bank_name=bank.get("bank_name") or "Stripe", last4=f"***-{bank.get('last4', '')}")
