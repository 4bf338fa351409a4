"""What a verified transaction means for payproc, for both API versions.

Every success is checked here before anything is booked: the transaction is
under our ``tx_ref``, ``successful``, and for exactly the amount and
currency we asked (the browser controls what Flutterwave's script charges).
The fee that comes out of the provider's share is read from the
transaction too.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from payproc.errors import CardError, IntegrityMismatch

from .amounts import fee_to_minor, to_flutterwave, to_minor

if TYPE_CHECKING:
    from payproc.types import ChargeStatus, Distribution, Receipt

    from .transaction import Transaction

__all__ = ["PaymentMismatch", "charge_status", "check_paid", "check_tx_ref", "distribution", "receipt"]


class PaymentMismatch(CardError, IntegrityMismatch):
    """Flutterwave reports a transaction under our ``tx_ref`` for another
    amount or currency than we asked. It is both a refused payment (the
    checkout fails, with the transaction's reference so it can be refunded)
    and an integrity error."""


def receipt(transaction: Transaction) -> Receipt:
    from payproc.types import Receipt

    return Receipt(
        last4=transaction.card_last4,
        exp_date=transaction.card_exp,
        card_name=transaction.card_name,
        brand=transaction.card_brand,
    )


def charge_status(transaction: Transaction) -> ChargeStatus:
    """Flutterwave's status in payproc's words. A pending transaction that
    names an ``auth_url`` waits for the customer (3-D Secure, a bank page):
    ``REQUIRES_ACTION``; any other pending one is processing."""
    from payproc.types import ChargeStatus

    if transaction.successful:
        return ChargeStatus.SUCCEEDED
    if transaction.failed:
        return ChargeStatus.FAILED
    if transaction.canceled:
        return ChargeStatus.CANCELED
    if transaction.auth_url:
        return ChargeStatus.REQUIRES_ACTION
    return ChargeStatus.PENDING


def check_tx_ref(transaction: Transaction, tx_ref: str) -> None:
    if transaction.tx_ref != tx_ref:
        raise IntegrityMismatch(f"Flutterwave answered for {transaction.tx_ref} when asked about {tx_ref}")


def check_paid(transaction: Transaction, amount: int, currency: str, key: str | None) -> None:
    """Refuse a transaction for another currency or amount than asked
    (``key`` is the transaction's processor key, kept on the error so the
    money can be found and refunded)."""
    expected_major, expected_currency = to_flutterwave(amount, currency)
    if transaction.currency != expected_currency:
        raise PaymentMismatch(
            f"Flutterwave charged {transaction.currency}, not {expected_currency}",
            "currency_mismatch",
            charge_processor_key=key,
        )
    if to_minor(transaction.amount, currency) != amount:
        raise PaymentMismatch(
            f"Flutterwave charged {transaction.amount} {transaction.currency}, not {expected_major} {expected_currency}",
            "amount_mismatch",
            charge_processor_key=key,
        )


def _fee(transaction: Transaction) -> Decimal:
    """Flutterwave's fees the merchant bears: ``app_fee`` plus
    ``merchant_fee``, less what the customer paid on top of the amount
    (``charged_amount - amount``, when the customer bears the fee)."""
    if not transaction.merchant_bears_fee:
        return Decimal(0)
    paid_on_top = Decimal(0)
    if transaction.charged_amount is not None and transaction.amount is not None:
        paid_on_top = max(transaction.charged_amount - transaction.amount, Decimal(0))
    return max(transaction.app_fee + transaction.merchant_fee - paid_on_top, Decimal(0))


def distribution(transaction: Transaction | None, amount: int, refunded: int, currency: str) -> Distribution:
    """The provider gets what is left of the charge less Flutterwave's fee
    (never below zero); ``transaction`` is ``None`` when nothing is left."""
    from payproc.types import Distribution

    currency = currency.lower()
    available = max(amount - refunded, 0)
    fee = 0
    if transaction is not None and available > 0:
        fee = min(fee_to_minor(_fee(transaction), currency), available)
    return Distribution(
        distribute_amount=available - fee,
        distribute_unit=currency,
        processor_fee_amount=fee,
        processor_fee_unit=currency,
        broker_fee_amount=0,
        broker_fee_unit=currency,
    )
