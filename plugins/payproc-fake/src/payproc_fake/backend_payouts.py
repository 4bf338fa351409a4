"""The fake backend's payout, bank and connected-account hooks: a mixin of
:class:`payproc_fake.backend.FakeBackend` (which brings ``settings``,
``_api`` and ``_answers``), split out by story."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from payproc import hookimpl
from payproc.errors import ProcessorSetupError

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from payproc.types import BankInfo, Party, ProcessorKeys, TransferRecord, TransferRef

    from .processor import Account
    from .records import Payout
    from .settings import FakeSettings

__all__ = ["OAUTH_BASE", "PayoutHooks"]

#: Where the fake "OAuth" pages would live: loopback only, never reached.
OAUTH_BASE = "http://127.0.0.1/fake/oauth"


def _transfer_record(payout: Payout) -> TransferRecord:
    from payproc.types import TransferRecord

    return TransferRecord(payout.id, payout.amount, payout.currency, payout.created, payout.description,
                          payout.status, idempotency_key=payout.idempotency_key)


def _destination(provider: Party) -> str:
    """The provider's account on the processor: its connected account when
    it has one, else its slug (the fake is lenient, like Stripe in LOCAL mode)."""
    return provider.keys.deposit_key or provider.slug


class PayoutHooks:
    """Payouts, the provider's bank and its connected account."""

    settings: FakeSettings

    if TYPE_CHECKING:
        def _api(self) -> Account: ...

        def _answers(self, account_owner: str | None) -> AbstractContextManager[None]: ...


    @hookimpl
    def create_transfer(
        self, provider: Party, amount: int, currency: str, descr: str | None, idempotency_key: str
    ) -> TransferRecord:

        with self._answers(provider.slug):
            payout = self._api().create_payout(
                _destination(provider), amount, currency, descr or "", idempotency_key=idempotency_key
            )
        return _transfer_record(payout)

    @hookimpl
    def retrieve_transfer(self, transfer: TransferRef) -> TransferRecord | None:
        with self._answers(transfer.provider.slug):
            api = self._api()
            payout = (api.retrieve_payout(transfer.processor_key) if transfer.processor_key
                      else api.retrieve_payout(idempotency_key=transfer.idempotency_key))
        return _transfer_record(payout) if payout is not None else None

    @hookimpl
    def reconcile_transfers(self, provider: Party, since: datetime) -> Sequence[TransferRecord]:

        # One request returns everything: paging does not apply.
        if since.tzinfo is None:
            since = since.replace(tzinfo=timezone.utc)
        with self._answers(provider.slug):
            payouts = self._api().list_payouts(_destination(provider), since)
        return [_transfer_record(p) for p in payouts]

    @hookimpl
    def retrieve_bank(self, provider: Party, includes_balance: bool) -> BankInfo:
        from payproc.types import BankInfo

        destination = _destination(provider)
        with self._answers(provider.slug):
            api = self._api()
            last4 = api.bank_last4(destination)
            totals = api.balance(provider.slug, destination) if includes_balance else {}
        if last4 is None:
            last4 = provider.keys.deposit_key[-4:] if provider.keys.deposit_key else ""
        if not includes_balance:
            return BankInfo(bank_name="Fake Bank", last4=last4)
        unit, amount = min(totals.items()) if totals else ("usd", 0)
        return BankInfo(bank_name="Fake Bank", last4=last4, balance_amount=amount, balance_unit=unit)

    @hookimpl
    def update_bank(self, provider: Party, bank_token: str) -> BankInfo:
        from payproc.types import BankInfo

        with self._answers(provider.slug):
            last4 = self._api().attach_bank(_destination(provider), bank_token)
        return BankInfo(bank_name="Fake Bank", last4=last4)

    @hookimpl
    def get_deposit_context(self) -> Mapping[str, Any]:
        return {"FAKE_PUB_KEY": self.settings.PUB_KEY, "FAKE_CLIENT_ID": self.settings.CLIENT_ID or "ca_fake"}

    @hookimpl
    def connect_auth(self, provider: Party, code: str) -> ProcessorKeys:
        import hashlib

        from payproc.types import ProcessorKeys
        from pydantic import SecretStr

        if code == "bad" or not code:
            raise ProcessorSetupError("the fake processor refused the authorization code", provider.slug)
        self._api()  # the latency of the token exchange
        digest = hashlib.sha256(code.encode("utf-8")).hexdigest()[:24]
        return ProcessorKeys(
            deposit_key=f"acct_fake_{digest}",
            pub_key=f"pk_fake_{digest}",
            priv_key=SecretStr(f"sk_fake_{digest}"),
            refresh_token=SecretStr(f"rt_fake_{digest}"),
        )

    @hookimpl
    def get_authorize_url(self, provider: Party, state: str, redirect_uri: str | None) -> str:
        from urllib.parse import urlencode

        query = {
            "response_type": "code",
            "client_id": self.settings.CLIENT_ID or "ca_fake",
            "scope": "read_write",
            "state": state,
        }
        redirect_uri = redirect_uri or self.settings.CONNECT_CALLBACK_URL
        if redirect_uri:
            query["redirect_uri"] = redirect_uri
        return f"{OAUTH_BASE}/authorize?{urlencode(query)}"

    @hookimpl
    def get_deauthorize_url(self, provider: Party) -> str:
        from urllib.parse import urlencode

        query = {"client_id": self.settings.CLIENT_ID or "ca_fake", "account": _destination(provider)}
        return f"{OAUTH_BASE}/deauthorize?{urlencode(query)}"
