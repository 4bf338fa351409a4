"""The Flutterwave backend (experimental): Flutterwave Inline + the v2 API.

The browser pays with Flutterwave Inline (card numbers never reach the
application: PCI DSS SAQ A) under a ``tx_ref`` the server chose; the server
then asks Flutterwave what happened to that ``tx_ref`` (v2 verify) and only
accepts a transaction that is ``successful`` for exactly the amount and
currency it asked for.

Importing this module is cheap (``payproc backends`` imports it to read the
hookimpl markers): the settings model (pydantic), payproc's types and money
helpers and the modules that do the work are imported by the methods that
use them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar

from payproc import hookimpl
from payproc.errors import (
    CardError,
    IntegrityMismatch,
    ProcessorError,
    WebhookVerificationError,
)

if TYPE_CHECKING:
    from payproc.types import (
        BrowserIntegration,
        ChargeInfo,
        ChargeRef,
        ChargeStatus,
        Distribution,
        Party,
        PaymentContext,
        PaymentRequest,
        PaymentResult,
        Receipt,
        RefundResult,
        WebhookEvent,
    )
    from pydantic import BaseModel

    from .settings import FlutterwaveSettings
    from .transaction import Transaction

__all__ = ["FlutterwaveBackend", "PaymentMismatch"]

#: The token field of djaodjin-saas's checkout forms, kept for compatibility.
TOKEN_FIELD = "stripeToken"
INLINE_SCRIPT = "flwv3-pug/getpaidx/api/flwpbf-inline.js"

_NO_CARD_ON_FILE = (
    "Flutterwave Inline tokenizes a card only by charging it; storing and "
    "reusing the card token (v2 tokenized charges) is not implemented by this "
    "experimental backend"
)
_NO_PAYOUTS = (
    "payouts need the provider's bank code, account number and beneficiary "
    "details (v2 transfers), which a payproc Party does not carry"
)


class PaymentMismatch(CardError, IntegrityMismatch):
    """Flutterwave reports a transaction under our ``tx_ref`` for another
    amount or currency than we asked (the browser can change what Inline
    charges). It is both a refused payment (the checkout fails, with the
    transaction's reference so it can be refunded) and an integrity error."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _receipt(transaction: Transaction) -> Receipt:
    from payproc.types import Receipt

    return Receipt(
        last4=transaction.card_last4,
        exp_date=transaction.card_exp,
        card_name=transaction.card_name,
        brand=transaction.card_brand,
    )


def _status(transaction: Transaction) -> ChargeStatus:
    from payproc.types import ChargeStatus

    if transaction.successful:
        return ChargeStatus.SUCCEEDED
    if transaction.failed:
        return ChargeStatus.FAILED
    return ChargeStatus.PENDING


class FlutterwaveBackend:
    """payproc backend for Flutterwave. **Experimental.**"""

    name = "flutterwave"
    contract = ">=1.0,<2"
    experimental = True
    unsupported: ClassVar[dict[str, str]] = {
        "create_charge": _NO_CARD_ON_FILE,
        "create_or_update_card": _NO_CARD_ON_FILE,
        "delete_card": _NO_CARD_ON_FILE,
        "retrieve_card": _NO_CARD_ON_FILE,
        "create_transfer": _NO_PAYOUTS,
        "reconcile_transfers": _NO_PAYOUTS,
        "retrieve_bank": _NO_PAYOUTS,
        "update_bank": _NO_PAYOUTS,
        "get_deposit_context": _NO_PAYOUTS,
        "prorate_transfer": _NO_PAYOUTS,
        "connect_auth": "Flutterwave has no OAuth account connection",
        "get_authorize_url": "Flutterwave has no OAuth account connection",
        "get_deauthorize_url": "Flutterwave has no OAuth account connection",
        "list_customers": "the v2 API has no customer search",
        "dispute_fee": "Flutterwave publishes no dispute fee through its API",
    }

    def __init__(self) -> None:
        self._settings: FlutterwaveSettings | None = None
        self._client: Any = None

    # --- set-up -------------------------------------------------------------

    @hookimpl
    def settings_model(self) -> type[BaseModel]:
        from .settings import FlutterwaveSettings

        return FlutterwaveSettings

    @hookimpl
    def configure(self, settings: BaseModel) -> None:
        from .sdk import FlutterwaveClient
        from .settings import FlutterwaveSettings

        if not isinstance(settings, FlutterwaveSettings):
            settings = FlutterwaveSettings.model_validate(settings.model_dump())
        self._settings = settings
        self._client = FlutterwaveClient(settings)  # the SDK object is built on first use

    @property
    def settings(self) -> FlutterwaveSettings:
        if self._settings is None:
            raise ProcessorError("the Flutterwave backend is not configured")
        return self._settings

    def _verify(self, tx_ref: str) -> Transaction:
        if self._client is None:
            raise ProcessorError("the Flutterwave backend is not configured")
        transaction, _sdk_view = self._client.verify(tx_ref)
        return transaction  # type: ignore[no-any-return]

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

        from .amounts import to_flutterwave
        from .refs import new_tx_ref, tx_ref_for

        pub_key = self.settings.PUB_KEY
        values: dict[str, Any] = {"FLUTTERWAVE_PUB_KEY": pub_key, "PBFPubKey": pub_key}
        if amount is None or currency is None:
            return PaymentContext(values=values, token_field=TOKEN_FIELD)
        tx_ref = tx_ref_for(idempotency_key) if idempotency_key else new_tx_ref()
        major, code = to_flutterwave(amount, normalize_currency(currency))
        values.update(
            txref=tx_ref,
            flutterwave_invoice_id=tx_ref,
            amount=major,
            currency=code,
        )
        if subscriber.email:
            values["customer_email"] = subscriber.email
        return PaymentContext(values=values, token_field=TOKEN_FIELD, reference=tx_ref)

    @hookimpl
    def create_payment(self, request: PaymentRequest, reference: str | None) -> PaymentResult:
        from payproc.types import PaymentResult

        from .refs import tx_ref_for
        from .transaction import TransactionNotFound

        tx_ref = reference or tx_ref_for(request.idempotency_key)
        try:
            transaction = self._verify(tx_ref)
        except TransactionNotFound as error:
            raise CardError(
                f"Flutterwave has no payment for this checkout ({error.message})", error.code
            ) from error
        if transaction.tx_ref != tx_ref:
            raise IntegrityMismatch(f"Flutterwave answered for {transaction.tx_ref} when asked about {tx_ref}")
        if transaction.failed:
            raise CardError(
                transaction.charge_message or f"the payment was {transaction.status}",
                transaction.charge_code or transaction.status,
                charge_processor_key=transaction.flw_ref,
            )
        self._check_amount(transaction, request.amount, request.currency)
        if not transaction.flw_ref:
            raise ProcessorError(f"Flutterwave reported {tx_ref} without its flwref")
        return PaymentResult(
            processor_key=transaction.flw_ref,
            amount=request.amount,
            currency=request.currency.lower(),
            created_at=transaction.created or _now(),
            status=_status(transaction),
            receipt=_receipt(transaction),
        )

    @staticmethod
    def _check_amount(transaction: Transaction, amount: int, currency: str) -> None:
        from .amounts import to_flutterwave, to_minor

        expected_major, expected_currency = to_flutterwave(amount, currency)
        if transaction.currency != expected_currency:
            raise PaymentMismatch(
                f"Flutterwave charged {transaction.currency}, not {expected_currency}",
                "currency_mismatch",
                charge_processor_key=transaction.flw_ref,
            )
        if to_minor(transaction.amount, currency) != amount:
            raise PaymentMismatch(
                f"Flutterwave charged {transaction.amount} {transaction.currency}, "
                f"not {expected_major} {expected_currency}",
                "amount_mismatch",
                charge_processor_key=transaction.flw_ref,
            )

    @staticmethod
    def _tx_ref(charge: ChargeRef) -> str:
        """The charge's ``tx_ref``: the one the core stored from the payment
        context (``reference``), else derived again from the idempotency key
        (charges stored before the core kept references). The stored one
        stays right whatever made it: a context without an idempotency key
        (random ``tx_ref``) or a future change of :func:`tx_ref_for`."""
        from .refs import tx_ref_for

        return charge.reference or tx_ref_for(charge.idempotency_key)

    @hookimpl
    def retrieve_charge(self, charge: ChargeRef) -> ChargeInfo:
        from payproc.types import ChargeInfo, ChargeStatus

        from .amounts import to_minor
        from .transaction import TransactionNotFound

        try:
            transaction = self._verify(self._tx_ref(charge))
        except TransactionNotFound:
            return ChargeInfo(processor_key=charge.processor_key, status=ChargeStatus.NOT_FOUND)
        currency = (transaction.currency or charge.currency).lower()
        status = _status(transaction)
        return ChargeInfo(
            processor_key=transaction.flw_ref or charge.processor_key,
            status=status,
            amount=to_minor(transaction.amount, currency) or 0,
            currency=currency,
            created_at=transaction.created,
            receipt=_receipt(transaction),
            failure_code=(transaction.charge_code or transaction.status) if status is ChargeStatus.FAILED else None,
            failure_message=transaction.charge_message if status is ChargeStatus.FAILED else None,
        )

    @hookimpl
    def refund_charge(self, charge: ChargeRef, amount: int, idempotency_key: str) -> RefundResult:
        from payproc.money import to_major
        from payproc.types import RefundResult

        from .amounts import to_minor
        from .transaction import as_decimal

        # The v2 refund endpoint takes no idempotency key (see README).
        if not charge.processor_key:
            raise ProcessorError("cannot refund a charge Flutterwave never confirmed (no flwRef)")
        record = self._client.refund(charge.processor_key, to_major(amount, charge.currency))
        refunded = as_decimal(record.get("AmountRefunded", record.get("amountRefunded")))
        if refunded is not None and to_minor(refunded, charge.currency) != amount:
            raise IntegrityMismatch(
                f"Flutterwave refunded {refunded} {charge.currency.upper()}, "
                f"not {to_major(amount, charge.currency)}"
            )
        key = record.get("id") or record.get("Id")
        if key is None:
            raise ProcessorError(f"Flutterwave's refund of {charge.processor_key} carries no id")
        created = record.get("createdAt")
        created_at = None
        if isinstance(created, str):
            try:
                created_at = datetime.fromisoformat(created.replace("Z", "+00:00"))
            except ValueError:
                created_at = None
        return RefundResult(
            processor_key=str(key),
            amount=amount,
            currency=charge.currency.lower(),
            created_at=created_at or _now(),
        )

    @hookimpl
    def charge_distribution(self, charge: ChargeRef, refunded: int) -> Distribution:
        """The provider gets the charge less Flutterwave's ``appfee`` (when
        the merchant bears it); nothing remains, no fee is counted."""
        from payproc.types import Distribution

        from .amounts import fee_to_minor
        from .transaction import TransactionNotFound

        currency = charge.currency.lower()
        available = charge.amount - refunded
        fee = 0
        if available > 0:
            try:
                transaction = self._verify(self._tx_ref(charge))
            except TransactionNotFound as error:
                raise ProcessorError(f"Flutterwave has no transaction for charge {charge.processor_key}") from error
            if transaction.merchant_bears_fee:
                fee = fee_to_minor(transaction.app_fee, currency)
        return Distribution(
            distribute_amount=available - fee,
            distribute_unit=currency,
            processor_fee_amount=fee,
            processor_fee_unit=currency,
            broker_fee_amount=0,
            broker_fee_unit=currency,
        )

    # --- webhooks -----------------------------------------------------------

    @hookimpl
    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        from payproc.types import ChargeStatus, EventType, WebhookEvent

        from .amounts import to_minor
        from .transaction import TransactionNotFound
        from .webhooks import check_verif_hash, read_delivery

        check_verif_hash(headers, self.settings.WEBHOOK_SECRET)
        delivery = read_delivery(body)
        if not delivery.tx_ref:  # transfers, bills…: not about a charge of ours
            ident = delivery.transaction_id or "unknown"
            return WebhookEvent(
                event_id=f"flw:{delivery.processor_type or 'event'}:{ident}",
                type=EventType.IGNORED,
                created_at=_now(),
                processor_type=delivery.processor_type,
            )
        # The header proves the sender knows the hash, not that the body is
        # true: report the state the API gives for this tx_ref.
        try:
            transaction = self._verify(delivery.tx_ref)
        except TransactionNotFound:
            raise WebhookVerificationError(
                f"Flutterwave's API knows no transaction {delivery.tx_ref}: the webhook is not genuine"
            ) from None
        status = _status(transaction)
        kind = {
            ChargeStatus.SUCCEEDED: EventType.CHARGE_SUCCEEDED,
            ChargeStatus.FAILED: EventType.CHARGE_FAILED,
        }.get(status, EventType.IGNORED)
        currency = transaction.currency.lower() if transaction.currency else None
        ident = transaction.tx_id or delivery.transaction_id or transaction.tx_ref
        return WebhookEvent(
            event_id=f"flw:{ident}:{transaction.status}",
            type=kind,
            created_at=transaction.created or _now(),
            charge_processor_key=transaction.flw_ref,
            amount=to_minor(transaction.amount, currency) if currency else None,
            currency=currency,
            receipt=_receipt(transaction),
            processor_type=delivery.processor_type,
            livemode=self.settings.production,
        )
