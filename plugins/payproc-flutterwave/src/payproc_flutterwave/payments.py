"""Paying with Flutterwave v3: the checkout the customer sees (inline or
hosted), and what the API says happened.

The server picks the ``tx_ref`` (derived from the charge's idempotency key,
:mod:`.refs`) and stores it with the charge; the browser only ever says
which transaction to look at. Every outcome comes from
``GET /v3/transactions/{id}/verify`` or
``GET /v3/transactions/verify_by_reference?tx_ref=`` and passes
:mod:`.outcome`'s checks (our ``tx_ref``, the amount, the currency) before
it is reported as paid.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from payproc.errors import CardError, ProcessorError

from .client import FlutterwaveAPIError

if TYPE_CHECKING:
    from payproc.types import ChargeInfo, NextAction, Party, PaymentResult

    from .client import FlutterwaveAPI
    from .settings import FlutterwaveSettings
    from .transaction import Transaction

__all__ = ["charge_info", "checkout_values", "hosted_link", "list_transactions", "payment_result", "verify_id",
           "verify_ref"]

#: How many pages of ``GET /v3/transactions`` a listing reads at most.
MAX_PAGES = 200


def verify_id(api: FlutterwaveAPI, transaction_id: str) -> Transaction:
    """``GET /v3/transactions/{id}/verify``."""
    return _verify(api, f"v3/transactions/{transaction_id}/verify", None, f"verify transaction {transaction_id}")


def verify_ref(api: FlutterwaveAPI, tx_ref: str) -> Transaction:
    """``GET /v3/transactions/verify_by_reference?tx_ref=``."""
    return _verify(api, "v3/transactions/verify_by_reference", {"tx_ref": tx_ref}, f"verify {tx_ref}")


def _verify(api: FlutterwaveAPI, path: str, params: dict[str, str] | None, what: str) -> Transaction:
    from payproc.errors import OutcomeUnknown

    from .records import not_found, transaction_from_data

    try:
        envelope = api.call("GET", path, what, params=params)
    except FlutterwaveAPIError as error:
        missing = not_found(error)
        if missing is not None:
            raise missing from None
        raise
    data = envelope.get("data")
    if not isinstance(data, dict) or not data.get("tx_ref"):
        raise OutcomeUnknown(f"Flutterwave's answer to {what} carries no transaction")
    return transaction_from_data(data)


def checkout_values(settings: FlutterwaveSettings, subscriber: Party, tx_ref: str, major: str, code: str,
                    return_url: str | None) -> dict[str, Any]:
    """What ``FlutterwaveCheckout({...})`` (the v3 inline script) needs:
    nothing secret."""
    values: dict[str, Any] = {
        "public_key": settings.PUB_KEY,
        "tx_ref": tx_ref,
        "amount": major,
        "currency": code,
        "payment_options": settings.PAYMENT_OPTIONS,
        "customer": {"email": subscriber.email or "", "name": subscriber.name},
    }
    if subscriber.phone:
        values["customer"]["phone_number"] = subscriber.phone
    if return_url:
        values["redirect_url"] = return_url
    return values


def hosted_link(api: FlutterwaveAPI, values: dict[str, Any]) -> NextAction:
    """``POST /v3/payments``: Flutterwave's hosted checkout link for these
    values, as the redirect the customer must follow."""
    from decimal import Decimal

    from payproc.errors import OutcomeUnknown
    from payproc.types import ActionKind, NextAction

    from .client import json_number

    if not values.get("redirect_url"):
        from payproc.errors import InvalidInput

        raise InvalidInput("a hosted Flutterwave checkout needs a return URL (redirect_url): none was given")
    body = {key: value for key, value in values.items() if key != "public_key"}
    body["amount"] = json_number(Decimal(values["amount"]))
    envelope = api.call("POST", "v3/payments", f"create the checkout link of {values['tx_ref']}", body=body)
    data = envelope.get("data")
    link = data.get("link") if isinstance(data, dict) else None
    if not isinstance(link, str) or not link.startswith(("https://", "http://")):
        raise OutcomeUnknown("Flutterwave's /v3/payments answer carries no link")
    return NextAction(kind=ActionKind.REDIRECT, url=link, values={"tx_ref": values["tx_ref"]})


def _now() -> datetime:
    return datetime.now(timezone.utc)


def payment_result(transaction: Transaction, tx_ref: str, amount: int, currency: str) -> PaymentResult:
    """The outcome of one verified transaction for a charge of ``amount``
    ``currency`` under ``tx_ref``: a decline raises :class:`CardError`; a
    transaction for another amount or currency raises
    :class:`~.outcome.PaymentMismatch`; one waiting on the customer is
    ``REQUIRES_ACTION`` with the page to send them to."""
    from payproc.types import ActionKind, ChargeStatus, NextAction, PaymentResult

    from .outcome import charge_status, check_paid, check_tx_ref, receipt

    check_tx_ref(transaction, tx_ref)
    if not transaction.tx_id:
        raise ProcessorError(f"Flutterwave reported a transaction for {tx_ref} without its id")
    status = charge_status(transaction)
    if status in (ChargeStatus.FAILED, ChargeStatus.CANCELED):
        raise CardError(
            transaction.charge_message or f"the payment was {transaction.status}",
            transaction.status or "failed",
            charge_processor_key=transaction.tx_id,
        )
    check_paid(transaction, amount, currency, transaction.tx_id)
    action = None
    if status is ChargeStatus.REQUIRES_ACTION and transaction.auth_url:
        action = NextAction(kind=ActionKind.REDIRECT, url=transaction.auth_url, values={"tx_ref": tx_ref})
    return PaymentResult(
        processor_key=transaction.tx_id,
        amount=amount,
        currency=currency.lower(),
        created_at=transaction.created or _now(),
        status=status,
        receipt=receipt(transaction),
        next_action=action,
    )


def charge_info(transaction: Transaction, fallback_currency: str) -> ChargeInfo:
    """The processor's view of a charge, from its verified transaction."""
    from payproc.types import ActionKind, ChargeInfo, ChargeStatus, NextAction

    from .amounts import to_minor
    from .outcome import charge_status, receipt

    currency = (transaction.currency or fallback_currency).lower()
    status = charge_status(transaction)
    ended = status in (ChargeStatus.FAILED, ChargeStatus.CANCELED)
    action = None
    if status is ChargeStatus.REQUIRES_ACTION and transaction.auth_url:
        action = NextAction(kind=ActionKind.REDIRECT, url=transaction.auth_url, values={"tx_ref": transaction.tx_ref})
    return ChargeInfo(
        processor_key=transaction.tx_id,
        status=status,
        amount=to_minor(transaction.amount, currency) or 0,
        currency=currency,
        created_at=transaction.created,
        receipt=receipt(transaction),
        failure_code=transaction.status if ended else None,
        failure_message=transaction.charge_message if ended else None,
        next_action=action,
    )


def list_transactions(api: FlutterwaveAPI, since: datetime, until: datetime) -> list[Transaction]:
    """The transactions payproc's checkouts made (their ``tx_ref`` starts
    with :data:`.refs.PREFIX`) created in ``[since, until)``:
    ``GET /v3/transactions?from=&to=&page=``, every page (the API filters
    by day; the exact bounds are applied here)."""
    from payproc.errors import OutcomeUnknown

    from .records import transaction_from_data
    from .refs import PREFIX

    params = {"from": since.astimezone(timezone.utc).date().isoformat(),
              "to": until.astimezone(timezone.utc).date().isoformat()}
    found: list[Transaction] = []
    for page in range(1, MAX_PAGES + 1):
        envelope = api.call("GET", "v3/transactions", "list transactions", params={**params, "page": str(page)})
        items = envelope.get("data")
        if not isinstance(items, list):
            raise OutcomeUnknown("Flutterwave's transaction list carries no data")
        for item in items:
            if not isinstance(item, dict):
                continue
            transaction = transaction_from_data(item)
            created = transaction.created
            if transaction.tx_ref.startswith(PREFIX) and created is not None and since <= created < until:
                found.append(transaction)
        meta = envelope.get("meta")
        info = meta.get("page_info") if isinstance(meta, dict) else None
        if not isinstance(info, dict) or int(info.get("current_page") or page) >= int(info.get("total_pages") or 1):
            return found
    raise OutcomeUnknown(f"more than {MAX_PAGES} pages of transactions to list")
