"""The card on file with Flutterwave v3: the card token of a paid
transaction, charged again with ``POST /v3/tokenized-charges``.

Flutterwave tokenizes a card only by charging it: every successful card
transaction carries ``data.card.token``. So the card on file is kept from a
payment (``save_card``) or from the id of a successful card transaction the
customer made (``create_or_update_card``: a first payment, or a small
verification charge the application refunds), verified with the API. The
token is charged with the customer's email, as Flutterwave requires the one
the card was first paid with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from payproc.errors import CardError, ProcessorError

from .client import FlutterwaveAPIError

if TYPE_CHECKING:
    from payproc.types import CardUpdate, Party, PaymentRequest, PaymentResult

    from .client import FlutterwaveAPI
    from .transaction import Transaction

__all__ = ["card_from_transaction", "charge_token"]


def card_from_transaction(transaction: Transaction, subscriber: Party) -> CardUpdate:
    """The card on file a successful card transaction leaves (its token)."""
    from payproc.types import CardInfo, CardUpdate

    if transaction.failed or transaction.canceled:
        raise CardError(
            transaction.charge_message or f"the card payment was {transaction.status}",
            transaction.status or "failed",
            charge_processor_key=transaction.tx_id,
        )
    if not transaction.successful:
        raise CardError(f"the card payment is {transaction.status or 'not finished'}: no card to keep", "pending")
    if not transaction.card_token:
        raise CardError("Flutterwave returned no card token for this transaction (not a card payment?)", "no_token")
    # The email is what ties a transaction to the subscriber (Flutterwave
    # charges a card token with the email it was paid with): without one on
    # either side, any customer's transaction id — sequential numbers — would
    # make their card this subscriber's.
    if not subscriber.email:
        raise CardError("a Flutterwave card is kept for a customer with an email (the one it was paid with): "
                        "this profile has none", "email_missing")
    if not transaction.customer_email or transaction.customer_email.lower() != subscriber.email.lower():
        raise CardError("this card was paid with another customer's email", "email_mismatch")
    return CardUpdate(
        card_key=transaction.card_token,
        card=CardInfo(last4=transaction.card_last4, exp_date=transaction.card_exp, brand=transaction.card_brand),
    )


#: Words of Flutterwave's refusals that are about the card or its token.
_CARD_WORDS = ("token", "email", "card", "declin", "insufficient", "expired", "honor", "fraud", "limit")


def _refused(api: FlutterwaveAPI, error: FlutterwaveAPIError, tx_ref: str) -> None:
    """Raise what a refused token charge means; return only when Flutterwave
    says the ``tx_ref`` is already used (the caller looks it up)."""
    data = error.data if isinstance(error.data, dict) else {}
    message = error.flw_message.lower()
    if data.get("status"):  # a transaction was made and failed: a decline
        raise CardError(str(error), str(data["status"]),
                        charge_processor_key=str(data["id"]) if data.get("id") else None) from None
    if "duplicate" in message:
        return
    if any(word in message for word in _CARD_WORDS):  # unknown or expired token, another email
        raise CardError(str(error), "token_refused") from None
    raise error


def charge_token(api: FlutterwaveAPI, request: PaymentRequest) -> PaymentResult:
    """Charge the card on file once for ``request.idempotency_key``: its
    ``tx_ref`` is looked up first, so a retry after a lost answer finds the
    first charge instead of making a second."""
    from decimal import Decimal

    from payproc.money import to_major

    from .client import json_number
    from .payments import payment_result, verify_id, verify_ref
    from .records import transaction_from_data
    from .refs import tx_ref_for
    from .transaction import TransactionNotFound

    token = request.customer.keys.card_key
    if not token:
        raise ProcessorError("the customer has no Flutterwave card token on file")
    if not request.customer.email:
        raise ProcessorError("Flutterwave's tokenized charges need the customer's email (the one the card was paid with)")
    tx_ref = tx_ref_for(request.idempotency_key)
    try:
        earlier = verify_ref(api, tx_ref)
    except TransactionNotFound:
        earlier = None
    if earlier is not None:
        return payment_result(earlier, tx_ref, request.amount, request.currency)
    body = {
        "token": token,
        "currency": request.currency.upper(),
        "amount": json_number(Decimal(to_major(request.amount, request.currency))),
        "email": request.customer.email,
        "tx_ref": tx_ref,
        "narration": request.stmt_descr or request.descr or "payproc",
    }
    if request.return_url:
        body["redirect_url"] = request.return_url
    try:
        envelope = api.call("POST", "v3/tokenized-charges", f"charge the card on file ({tx_ref})", body=body)
    except FlutterwaveAPIError as error:
        _refused(api, error, tx_ref)
        try:  # a duplicate tx_ref: the charge exists after all (a race, or a look-up that lagged)
            return payment_result(verify_ref(api, tx_ref), tx_ref, request.amount, request.currency)
        except TransactionNotFound:
            from payproc.errors import OutcomeUnknown

            raise OutcomeUnknown(f"Flutterwave says {tx_ref} is used but shows no transaction for it") from error
    data = envelope.get("data")
    charged = transaction_from_data(data) if isinstance(data, dict) else None
    if charged is None or not charged.tx_id:
        from payproc.errors import OutcomeUnknown

        raise OutcomeUnknown(f"Flutterwave's answer to the token charge {tx_ref} carries no transaction")
    # Only the API's verify decides: never book from the charge answer alone.
    transaction = verify_id(api, charged.tx_id) if charged.successful else charged
    return payment_result(transaction, tx_ref, request.amount, request.currency)
