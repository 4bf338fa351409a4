"""The Flutterwave backend (experimental): Flutterwave's v3 API.

The customer pays in Flutterwave's own page — the v3 inline modal
(``FlutterwaveCheckout``) or the hosted checkout link of ``/v3/payments`` —
so card numbers never reach the application (PCI DSS SAQ A). The server
picked the ``tx_ref`` and accepts only what the API then reports for it:
``successful``, for exactly the amount and currency asked
(:mod:`.payments`, :mod:`.outcome`). Refunds are found again before any
retry (:mod:`.refunds`), renewals charge the card token Flutterwave returned
(:mod:`.cards`), webhooks are checked with ``verif-hash`` and then re-read
from the API (:mod:`.webhooks`). The calls go through :mod:`.client`
(httpx). The legacy v2 path lives in :mod:`.legacy`.

Importing this module is cheap (``payproc backends`` imports it to read the
hookimpl markers): the settings model (pydantic), httpx, payproc's types and
the modules that do the work are imported by the methods that use them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar

from payproc import hookimpl
from payproc.errors import CardError, ProcessorError

from .base import FlutterwaveBase

if TYPE_CHECKING:
    from datetime import datetime

    from payproc.types import (
        BrowserIntegration,
        CardUpdate,
        ChargeInfo,
        ChargeRef,
        Party,
        PaymentContext,
        PaymentRequest,
        PaymentResult,
        RefundInfo,
        RefundRef,
        RefundResult,
    )
    from pydantic import BaseModel

    from .client import FlutterwaveAPI
    from .settings import FlutterwaveSettings
    from .transaction import Transaction

__all__ = ["FlutterwaveBackend"]

#: What FlutterwaveCheckout's callback (and the hosted checkout's return)
#: hands the page: the id of the transaction to verify.
TOKEN_FIELD = "transaction_id"

_NO_PAYOUTS = (
    "v3 transfers need the provider's bank (account_bank and account_number, or a Flutterwave "
    "beneficiary), which payproc does not keep for Flutterwave, and a transfer whose answer was lost "
    "cannot be found again by its reference (GET /v3/transfers/{id} needs Flutterwave's id)"
)
_NO_OAUTH = "Flutterwave has no OAuth account connection"


class FlutterwaveBackend(FlutterwaveBase):
    """payproc backend for Flutterwave's v3 API. **Experimental.**"""

    name = "flutterwave"
    contract = ">=1.1,<2"
    experimental = True
    #: verif-hash is a shared secret (fail closed without it); the backend
    #: also re-reads every transaction from the API before reporting it.
    webhook_verification = "signed"
    unsupported: ClassVar[dict[str, str]] = {
        "retrieve_card": "Flutterwave v3 has no endpoint that describes a card token",
        "create_transfer": _NO_PAYOUTS,
        "reconcile_transfers": _NO_PAYOUTS,
        "retrieve_transfer": _NO_PAYOUTS,
        "retrieve_bank": _NO_PAYOUTS,
        "update_bank": _NO_PAYOUTS,
        "get_deposit_context": _NO_PAYOUTS,
        "prorate_transfer": _NO_PAYOUTS,
        "connect_auth": _NO_OAUTH,
        "get_authorize_url": _NO_OAUTH,
        "get_deauthorize_url": _NO_OAUTH,
        "list_customers": "this backend keeps no Flutterwave customers (a card token and an email are enough)",
        "dispute_fee": "Flutterwave publishes no dispute fee through its API",
        "cancel_payment": "Flutterwave v3 has no call that cancels a checkout's tx_ref: an abandoned checkout "
                          "stays awaiting the customer",
        "capture_charge": "inline and hosted checkouts charge at once: there is no authorization to capture",
        "minimum_amount": "Flutterwave publishes no minimum charge per currency",
    }

    def __init__(self) -> None:
        self._settings: FlutterwaveSettings | None = None
        self._api: FlutterwaveAPI | None = None

    # --- set-up -------------------------------------------------------------

    @hookimpl
    def settings_model(self) -> type[BaseModel]:
        from .settings import FlutterwaveSettings

        return FlutterwaveSettings

    @hookimpl
    def configure(self, settings: FlutterwaveSettings) -> None:
        from .client import FlutterwaveAPI

        self._settings = settings
        self._api = FlutterwaveAPI(settings)  # its httpx client is built on first use

    @property
    def settings(self) -> FlutterwaveSettings:
        return super().settings  # type: ignore[no-any-return]

    @property
    def api(self) -> FlutterwaveAPI:
        if self._api is None:
            raise ProcessorError("the Flutterwave backend is not configured")
        return self._api

    def _verify(self, tx_ref: str) -> Transaction:
        """The transaction Flutterwave holds under ``tx_ref``."""
        from .payments import verify_ref

        return verify_ref(self.api, tx_ref)

    def _transaction(self, charge: ChargeRef) -> Transaction:
        """The charge's transaction: by its id once known, else by the
        ``tx_ref`` the core stored (or derives again from the key)."""
        from .payments import verify_id

        if charge.processor_key and charge.processor_key.isdigit():
            return verify_id(self.api, charge.processor_key)
        return self._verify(self._tx_ref(charge))

    @staticmethod
    def _processor_key(transaction: Transaction) -> str | None:
        return transaction.tx_id

    @property
    def _livemode(self) -> bool:
        return not self.settings.test_mode

    @hookimpl
    def browser_integration(self) -> BrowserIntegration:
        from payproc.types import BrowserIntegration

        from .settings import INLINE_SCRIPT

        return BrowserIntegration(
            token_field=TOKEN_FIELD,
            script_urls=(INLINE_SCRIPT,) if self.settings.CHECKOUT == "inline" else (),
            notes="Flutterwave v3: FlutterwaveCheckout(values) whose callback posts data.transaction_id; "
                  "or, with CHECKOUT='hosted', the redirect to next_action.url and back to the return URL",
        )

    # --- payments -----------------------------------------------------------

    @hookimpl
    def get_payment_context(
        self, subscriber: Party, amount: int | None, currency: str | None, idempotency_key: str | None,
        return_url: str | None,
    ) -> PaymentContext:
        from payproc.money import normalize_currency
        from payproc.types import PaymentContext

        from .amounts import to_flutterwave
        from .payments import checkout_values, hosted_link
        from .refs import new_tx_ref, tx_ref_for

        if amount is None or currency is None:
            # Flutterwave tokenizes a card only by charging it (see cards.py).
            return PaymentContext(values={"public_key": self.settings.PUB_KEY}, token_field=TOKEN_FIELD)
        tx_ref = tx_ref_for(idempotency_key) if idempotency_key else new_tx_ref()
        major, code = to_flutterwave(amount, normalize_currency(currency))
        values = checkout_values(self.settings, subscriber, tx_ref, major, code, return_url)
        action = None
        if self.settings.CHECKOUT == "hosted":
            action = hosted_link(self.api, values)
        return PaymentContext(values=values, token_field=TOKEN_FIELD, reference=tx_ref, next_action=action)

    @hookimpl
    def create_payment(self, request: PaymentRequest, reference: str | None) -> PaymentResult:
        """The page posts the transaction id FlutterwaveCheckout returned:
        it only says where to look; the API's answer decides."""
        import dataclasses

        from payproc.types import ChargeStatus

        from .payments import payment_result, verify_id
        from .refs import tx_ref_for
        from .transaction import TransactionNotFound

        tx_ref = reference or tx_ref_for(request.idempotency_key)
        token = (request.token or "").strip()
        try:
            transaction = verify_id(self.api, token) if token.isdigit() else self._verify(tx_ref)
        except TransactionNotFound as error:
            raise CardError(f"Flutterwave has no payment for this checkout ({error.message})", error.code) from error
        result = payment_result(transaction, tx_ref, request.amount, request.currency)
        if getattr(request, "save_card", False) and result.status is ChargeStatus.SUCCEEDED and transaction.card_token:
            result = dataclasses.replace(result, card_key=transaction.card_token)
        return result

    @hookimpl
    def complete_payment(self, charge: ChargeRef, params: Mapping[str, str]) -> PaymentResult:
        """The customer came back (``?status=…&tx_ref=…&transaction_id=…``).
        The params only say where to look: the transaction is verified and
        must be this charge's ``tx_ref``. No transaction yet (the customer
        closed the page): still awaiting the customer, who may pay again,
        with the ``tx_ref`` as the processor's handle."""
        from datetime import datetime, timezone

        from payproc.types import ChargeStatus, PaymentResult

        from .payments import payment_result, verify_id
        from .transaction import TransactionNotFound

        tx_ref = self._tx_ref(charge)
        transaction_id = str(params.get("transaction_id") or "").strip()
        try:
            if transaction_id.isdigit():
                transaction = verify_id(self.api, transaction_id)
            else:
                transaction = self._verify(tx_ref)
        except TransactionNotFound:
            # The processor's handle of a checkout nobody paid yet is its
            # tx_ref (unique per charge): a later return, webhook or settle
            # finds the transaction by it.
            return PaymentResult(
                processor_key=charge.processor_key or tx_ref, amount=charge.amount, currency=charge.currency.lower(),
                created_at=datetime.now(timezone.utc), status=ChargeStatus.AWAITING_CUSTOMER,
            )
        return payment_result(transaction, tx_ref, charge.amount, charge.currency)

    @hookimpl
    def list_payments(self, since: datetime, until: datetime) -> Sequence[ChargeInfo]:
        """The transactions of payproc's checkouts created in ``[since,
        until)``, for reconciliation. Flutterwave keeps the ``tx_ref``, a
        hash of the idempotency key: ``idempotency_key`` stays ``None`` and
        the core matches them by transaction id."""
        from .payments import charge_info, list_transactions

        return [charge_info(transaction, transaction.currency or "") for transaction in
                list_transactions(self.api, since, until)]

    @hookimpl
    def retrieve_charge(self, charge: ChargeRef) -> ChargeInfo:
        from payproc.types import ChargeInfo, ChargeStatus

        from .payments import charge_info
        from .transaction import TransactionNotFound

        try:
            transaction = self._transaction(charge)
        except TransactionNotFound:
            # A context was issued (its tx_ref is stored): the customer may
            # still pay with it. Without one, nothing was ever sent.
            status = ChargeStatus.AWAITING_CUSTOMER if charge.reference else ChargeStatus.NOT_FOUND
            return ChargeInfo(processor_key=charge.processor_key, status=status)
        return charge_info(transaction, charge.currency)

    # --- refunds ------------------------------------------------------------

    @hookimpl
    def refund_charge(self, charge: ChargeRef, amount: int, idempotency_key: str) -> RefundResult:
        from .refunds import refund

        return refund(self.api, charge, amount, idempotency_key)

    @hookimpl
    def retrieve_refund(self, refund: RefundRef) -> RefundInfo:
        from .refunds import refund_info

        return refund_info(self.api, refund)

    # --- the card on file ---------------------------------------------------

    @hookimpl
    def create_or_update_card(self, subscriber: Party, token: str) -> CardUpdate:
        """``token`` is the id of a successful card transaction of
        ``subscriber`` (see :mod:`.cards`); its card token is kept."""
        from .cards import card_from_transaction
        from .payments import verify_id
        from .transaction import TransactionNotFound

        token = (token or "").strip()
        if not token.isdigit():
            raise CardError("a Flutterwave card is kept from the id of a paid card transaction", "invalid_token")
        try:
            transaction = verify_id(self.api, token)
        except TransactionNotFound as error:
            raise CardError(f"Flutterwave has no transaction {token}", error.code) from error
        return card_from_transaction(transaction, subscriber)

    @hookimpl
    def create_charge(self, request: PaymentRequest) -> PaymentResult:
        from .cards import charge_token

        return charge_token(self.api, request)

    @hookimpl
    def delete_card(self, subscriber: Party) -> None:
        """Flutterwave v3 has no call that revokes a card token: forgetting
        it (the core clears the card key) is how a card is removed, and a
        forgotten token is never charged again."""
        return
