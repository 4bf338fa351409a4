"""Reading a PaymentIntent into payproc's values: what the customer must do
next, where the payment stands, the result of a payment.

A PaymentIntent's status, as payproc reads it:

* ``requires_payment_method`` never attempted, ``requires_confirmation``:
  ``AWAITING_CUSTOMER`` (the customer may still pay);
* ``requires_payment_method`` after an attempt: the attempt's charge says
  (a declined charge is ``FAILED``); a failed 3-D Secure challenge
  (``payment_intent_authentication_failure``) is a decline;
* ``requires_action``: ``REQUIRES_ACTION`` with a :class:`NextAction`:
  ``redirect_to_url`` -> ``REDIRECT`` to its URL; anything else (Stripe.js
  handles ``use_stripe_sdk``) -> ``SCRIPT`` with the client secret, for
  ``stripe.confirmCardPayment`` / ``handleNextAction``;
* ``processing``: ``PENDING``; ``canceled``: ``CANCELED``;
  ``succeeded``: ``SUCCEEDED``.

The processor key is always the PaymentIntent id (see
:func:`~payproc_stripe.charges.payment_key`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from payproc.errors import CardError, IntegrityMismatch
from payproc.types import ActionKind, ChargeInfo, ChargeStatus, NextAction, PaymentResult

from .amounts import from_stripe
from .builders import IDEMPOTENCY_METADATA
from .charges import charge_info, receipt, timestamp

__all__ = ["intent_info", "needs_customer", "next_action", "payment_result"]

#: Statuses in which no attempt has been made yet (or the last one is over and another may follow).
_WAITING = ("requires_payment_method", "requires_confirmation")


def needs_customer(intent: dict[str, Any]) -> bool:
    """The customer must act: a challenge (``requires_action``), or an
    off-session attempt Stripe declined with ``authentication_required`` (the
    intent waits for its holder to confirm it on session)."""
    status = intent.get("status")
    error = intent.get("last_payment_error") or {}
    return status == "requires_action" or (status in _WAITING and error.get("code") == "authentication_required")


def next_action(intent: dict[str, Any], account: str | None = None) -> NextAction | None:
    """What the customer must do for ``intent`` (``account``: the ``Stripe-Account`` it lives on)."""
    if not needs_customer(intent):
        return None
    action = intent.get("next_action") or {}
    values: dict[str, Any] = {"payment_intent": intent.get("id")}
    redirect = action.get("redirect_to_url") if action.get("type") == "redirect_to_url" else None
    if redirect and redirect.get("url"):
        return NextAction(kind=ActionKind.REDIRECT, url=str(redirect["url"]), values=values)
    values["client_secret"] = intent.get("client_secret")
    if intent.get("payment_method"):
        method = intent["payment_method"]
        values["payment_method"] = method.get("id") if isinstance(method, dict) else method
    if account:
        values["stripe_account"] = account
    return NextAction(kind=ActionKind.SCRIPT, values=values)


def _amount(intent: dict[str, Any]) -> tuple[int, str]:
    currency = str(intent.get("currency") or "")
    return (from_stripe(intent.get("amount") or 0, currency) if currency else 0), currency


def intent_info(intent: dict[str, Any], account: str | None = None) -> ChargeInfo:
    """A PaymentIntent (``latest_charge`` expanded) as the charge payproc knows."""
    key = (intent.get("metadata") or {}).get(IDEMPOTENCY_METADATA)
    status = intent.get("status")
    latest = intent.get("latest_charge")
    if isinstance(latest, dict) and status != "canceled" and not needs_customer(intent):
        # the attempt says what happened; the PaymentIntent stays the key
        return dataclasses.replace(charge_info(latest), processor_key=intent.get("id"), idempotency_key=key)
    amount, currency = _amount(intent)
    error = intent.get("last_payment_error") or {}
    if status == "canceled":
        state = ChargeStatus.CANCELED
    elif needs_customer(intent):
        state = ChargeStatus.REQUIRES_ACTION
    elif status in _WAITING and error.get("code") == "payment_intent_authentication_failure":
        state = ChargeStatus.FAILED
    elif status in _WAITING:
        state = ChargeStatus.AWAITING_CUSTOMER
    else:  # processing, requires_capture
        state = ChargeStatus.PENDING
    return ChargeInfo(
        processor_key=intent.get("id"),
        status=state,
        amount=amount,
        currency=currency,
        created_at=timestamp(intent.get("created")),
        failure_code=error.get("code") if state == ChargeStatus.FAILED else None,
        failure_message=error.get("message") if state == ChargeStatus.FAILED else None,
        next_action=next_action(intent, account),
        idempotency_key=key,
    )


def payment_result(intent: dict[str, Any], amount: int, currency: str, account: str | None = None) -> PaymentResult:
    """The result of a confirmed (or re-read) PaymentIntent, ``latest_charge`` expanded.

    Raises :class:`CardError` for a declined intent (a failed challenge
    included) and :class:`IntegrityMismatch` when Stripe charged another
    amount or currency. An intent waiting on the customer is
    ``REQUIRES_ACTION`` / ``AWAITING_CUSTOMER`` with the PaymentIntent id as
    the processor key, never a decline.
    """
    got_amount, got_currency = _amount(intent)
    if got_currency != currency or got_amount != amount:
        raise IntegrityMismatch(
            f"Stripe answered {got_amount} {got_currency} for a payment of {amount} {currency} ({intent.get('id')})"
        )
    charge = intent.get("latest_charge")
    if isinstance(charge, str) or charge is None:
        charge = {}
    status = intent.get("status")
    error = intent.get("last_payment_error") or {}
    waiting_for_holder = needs_customer(intent)
    attempted = bool(error) or charge.get("status") == "failed"
    if not waiting_for_holder and ((status in _WAITING and attempted) or charge.get("status") == "failed"):
        raise CardError(
            error.get("message") or charge.get("failure_message") or "Your card was declined.",
            error.get("code") or charge.get("failure_code") or "card_declined",
            charge_processor_key=intent.get("id") or charge.get("id") or error.get("charge"),
        )
    if waiting_for_holder or status in ("canceled", *_WAITING):
        state = ChargeStatus.CANCELED if status == "canceled" else ChargeStatus.AWAITING_CUSTOMER
        return PaymentResult(
            processor_key=str(intent["id"]),
            amount=got_amount,
            currency=got_currency,
            created_at=timestamp(intent.get("created")),
            status=ChargeStatus.REQUIRES_ACTION if waiting_for_holder else state,
            next_action=next_action(intent, account),
        )
    if not charge.get("id"):
        raise IntegrityMismatch(f"PaymentIntent {intent.get('id')} is {status} but has no charge")
    payment_method = intent.get("payment_method")
    card_key = intent.get("customer") if intent.get("setup_future_usage") and payment_method else None
    return PaymentResult(
        processor_key=str(intent["id"]),
        amount=got_amount,
        currency=got_currency,
        created_at=timestamp(charge.get("created")),
        status=ChargeStatus.SUCCEEDED if status == "succeeded" else ChargeStatus.PENDING,
        receipt=receipt(charge),
        card_key=card_key if isinstance(card_key, str) else None,
    )
