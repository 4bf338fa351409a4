"""The legacy Flutterwave backend: Flutterwave Inline v2 + the v2 API through
rave_python 1.5 (``pip install 'payproc-flutterwave[rave]'``). **Experimental.**

Kept for sites that still hold v2 keys; new sites use the v3 backend
(:mod:`payproc_flutterwave.backend`, ``BACKEND = "flutterwave"``). The
browser pays with Flutterwave Inline under a ``tx_ref`` the server chose; the
server then asks Flutterwave what happened to that ``tx_ref`` (v2 verify) and
only accepts a transaction that is ``successful`` for exactly the amount and
currency it asked for (:mod:`..outcome`, shared with v3).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar

from payproc import hookimpl
from payproc.errors import CardError, IntegrityMismatch, ProcessorError

from ..base import FlutterwaveBase

if TYPE_CHECKING:
    from payproc.types import (
        BrowserIntegration,
        ChargeInfo,
        ChargeRef,
        Party,
        PaymentContext,
        PaymentRequest,
        PaymentResult,
        RefundResult,
    )
    from pydantic import BaseModel

    from ..transaction import Transaction
    from .sdk import RaveClient
    from .settings import LegacySettings

__all__ = ["FlutterwaveV2Backend"]

#: The token field of djaodjin-saas's checkout forms, kept for compatibility.
TOKEN_FIELD = "stripeToken"
INLINE_SCRIPT = "flwv3-pug/getpaidx/api/flwpbf-inline.js"

_NO_CARD_ON_FILE = (
    "the legacy v2 path does not keep cards on file (the v3 backend, BACKEND = 'flutterwave', charges "
    "the card token Flutterwave returns)"
)
_NO_PAYOUTS = (
    "payouts need the provider's bank code, account number and beneficiary "
    "details (v2 transfers), which a payproc Party does not carry"
)
_V3_ONLY = "the legacy v2 path does not implement it; the v3 backend (BACKEND = 'flutterwave') does"


def _now() -> datetime:
    return datetime.now(timezone.utc)


class FlutterwaveV2Backend(FlutterwaveBase):
    """payproc backend for Flutterwave's legacy v2 API. **Experimental.**"""

    name = "flutterwave-v2"
    contract = ">=1.0,<2"
    experimental = True
    #: verif-hash is a shared secret: without it every webhook is refused.
    webhook_verification = "signed"
    unsupported: ClassVar[dict[str, str]] = {
        "create_charge": _NO_CARD_ON_FILE,
        "create_or_update_card": _NO_CARD_ON_FILE,
        "delete_card": _NO_CARD_ON_FILE,
        "retrieve_card": _NO_CARD_ON_FILE,
        "create_transfer": _NO_PAYOUTS,
        "reconcile_transfers": _NO_PAYOUTS,
        "retrieve_transfer": _NO_PAYOUTS,
        "retrieve_bank": _NO_PAYOUTS,
        "update_bank": _NO_PAYOUTS,
        "get_deposit_context": _NO_PAYOUTS,
        "prorate_transfer": _NO_PAYOUTS,
        "connect_auth": "Flutterwave has no OAuth account connection",
        "get_authorize_url": "Flutterwave has no OAuth account connection",
        "get_deauthorize_url": "Flutterwave has no OAuth account connection",
        "list_customers": "the v2 API has no customer search",
        "dispute_fee": "Flutterwave publishes no dispute fee through its API",
        "complete_payment": _V3_ONLY,
        "retrieve_refund": _V3_ONLY,
        "list_payments": _V3_ONLY,
        "cancel_payment": "Flutterwave has no call that cancels a checkout's tx_ref",
        "capture_charge": "Flutterwave Inline charges at once: there is no authorization to capture",
        "minimum_amount": "Flutterwave publishes no minimum charge through its API",
    }

    def __init__(self) -> None:
        self._settings: LegacySettings | None = None
        self._client: RaveClient | None = None

    # --- set-up -------------------------------------------------------------

    @hookimpl
    def settings_model(self) -> type[BaseModel]:
        from .settings import LegacySettings

        return LegacySettings

    @hookimpl
    def configure(self, settings: LegacySettings) -> None:
        from .sdk import RaveClient

        self._settings = settings
        self._client = RaveClient(settings)  # the SDK object is built on first use

    @property
    def settings(self) -> LegacySettings:
        return super().settings  # type: ignore[no-any-return]

    @staticmethod
    def _processor_key(transaction: Transaction) -> str | None:
        return transaction.flw_ref

    @property
    def _livemode(self) -> bool:
        return self.settings.production

    def _verify(self, tx_ref: str) -> Transaction:
        if self._client is None:
            raise ProcessorError("the Flutterwave backend is not configured")
        transaction, _sdk_view = self._client.verify(tx_ref)
        return transaction

    @hookimpl
    def browser_integration(self) -> BrowserIntegration:
        from payproc.types import BrowserIntegration

        return BrowserIntegration(
            token_field=TOKEN_FIELD,
            script_urls=(self.settings.api_base + INLINE_SCRIPT,),
            notes="Flutterwave Inline (getpaidSetup) with PBFPubKey, txref, amount, currency from the payment context",
        )

    # --- payments -----------------------------------------------------------

    @hookimpl
    def get_payment_context(
        self, subscriber: Party, amount: int | None, currency: str | None, idempotency_key: str | None
    ) -> PaymentContext:
        from payproc.money import normalize_currency
        from payproc.types import PaymentContext

        from ..amounts import to_flutterwave
        from ..refs import new_tx_ref, tx_ref_for

        pub_key = self.settings.PUB_KEY
        values: dict[str, Any] = {"FLUTTERWAVE_PUB_KEY": pub_key, "PBFPubKey": pub_key}
        if amount is None or currency is None:
            return PaymentContext(values=values, token_field=TOKEN_FIELD)
        tx_ref = tx_ref_for(idempotency_key) if idempotency_key else new_tx_ref()
        major, code = to_flutterwave(amount, normalize_currency(currency))
        values.update(txref=tx_ref, flutterwave_invoice_id=tx_ref, amount=major, currency=code)
        if subscriber.email:
            values["customer_email"] = subscriber.email
        return PaymentContext(values=values, token_field=TOKEN_FIELD, reference=tx_ref)

    @hookimpl
    def create_payment(self, request: PaymentRequest, reference: str | None) -> PaymentResult:
        from payproc.types import PaymentResult

        from ..outcome import charge_status, check_paid, check_tx_ref, receipt
        from ..refs import tx_ref_for
        from ..transaction import TransactionNotFound

        tx_ref = reference or tx_ref_for(request.idempotency_key)
        try:
            transaction = self._verify(tx_ref)
        except TransactionNotFound as error:
            raise CardError(f"Flutterwave has no payment for this checkout ({error.message})", error.code) from error
        check_tx_ref(transaction, tx_ref)
        if transaction.failed or transaction.canceled:
            raise CardError(
                transaction.charge_message or f"the payment was {transaction.status}",
                transaction.charge_code or transaction.status,
                charge_processor_key=transaction.flw_ref,
            )
        check_paid(transaction, request.amount, request.currency, transaction.flw_ref)
        if not transaction.flw_ref:
            raise ProcessorError(f"Flutterwave reported {tx_ref} without its flwref")
        return PaymentResult(
            processor_key=transaction.flw_ref,
            amount=request.amount,
            currency=request.currency.lower(),
            created_at=transaction.created or _now(),
            status=charge_status(transaction),
            receipt=receipt(transaction),
        )

    @hookimpl
    def retrieve_charge(self, charge: ChargeRef) -> ChargeInfo:
        from payproc.types import ChargeInfo, ChargeStatus

        from ..amounts import to_minor
        from ..outcome import charge_status, receipt
        from ..transaction import TransactionNotFound

        try:
            transaction = self._verify(self._tx_ref(charge))
        except TransactionNotFound:
            # A context was issued (its tx_ref is stored): the customer may
            # still pay with it. Without one, nothing was ever sent.
            status = ChargeStatus.AWAITING_CUSTOMER if charge.reference else ChargeStatus.NOT_FOUND
            return ChargeInfo(processor_key=charge.processor_key, status=status)
        currency = (transaction.currency or charge.currency).lower()
        status = charge_status(transaction)
        failed = status in (ChargeStatus.FAILED, ChargeStatus.CANCELED)
        return ChargeInfo(
            processor_key=transaction.flw_ref or charge.processor_key,
            status=status,
            amount=to_minor(transaction.amount, currency) or 0,
            currency=currency,
            created_at=transaction.created,
            receipt=receipt(transaction),
            failure_code=(transaction.charge_code or transaction.status) if failed else None,
            failure_message=transaction.charge_message if failed else None,
        )

    @hookimpl
    def refund_charge(self, charge: ChargeRef, amount: int, idempotency_key: str) -> RefundResult:
        from payproc.money import to_major
        from payproc.types import RefundResult

        from ..amounts import to_minor
        from ..transaction import as_decimal, parse_time

        # The v2 refund endpoint takes no idempotency key and v2 has no refund
        # look-up (see README): the v3 backend settles lost refund answers.
        if not charge.processor_key:
            raise ProcessorError("cannot refund a charge Flutterwave never confirmed (no flwRef)")
        if self._client is None:
            raise ProcessorError("the Flutterwave backend is not configured")
        record = self._client.refund(charge.processor_key, to_major(amount, charge.currency))
        refunded = as_decimal(record.get("AmountRefunded", record.get("amountRefunded")))
        if refunded is not None and to_minor(refunded, charge.currency) != amount:
            raise IntegrityMismatch(
                f"Flutterwave refunded {refunded} {charge.currency.upper()}, not {to_major(amount, charge.currency)}"
            )
        key = record.get("id") or record.get("Id")
        if key is None:
            raise ProcessorError(f"Flutterwave's refund of {charge.processor_key} carries no id")
        return RefundResult(
            processor_key=str(key),
            amount=amount,
            currency=charge.currency.lower(),
            created_at=parse_time(record.get("createdAt")) or _now(),
        )
