"""Customer action on the fake processor: a 3-D Secure-like challenge, and
cancelling a payment the customer abandoned.

A charge made with ``tok_3ds`` (or ``tok_3ds_redirect``, or the card
4000 0027 6000 3184 in the browser) is not paid at once: the processor
answers ``requires_action`` and opens a *challenge*. The customer answers it
with the one-time code :data:`TEST_OTP` (any other code fails it, as a
wrong 3-D Secure answer does): on the processor's page
(:func:`answer_challenge`, what the harness and the redirect page do) or
through the backend's ``complete_payment`` with the code the page collected.
Until then the charge holds no money; a challenge can be answered once.

``cancel_payment`` closes a payment nobody finished: a challenged charge
becomes ``canceled``, and an idempotency key with no charge yet is closed
so that no later charge can be made with it (what cancelling a Stripe
PaymentIntent or a Razorpay order does). A paid charge cannot be cancelled:
the answer says it succeeded.

These functions work on an account (:class:`~payproc_fake.wire.Server`, the
base of :class:`~payproc_fake.processor.Account`) under its lock, like its
own methods, and count as requests.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from payproc.types import NextAction

    from .records import Charge
    from .wire import Server as Account

__all__ = [
    "CHALLENGE_PAGE",
    "TEST_OTP",
    "Challenge",
    "answer_challenge",
    "cancel",
    "challenge_for",
    "next_action",
    "open_challenge",
    "refuse_if_canceled",
]

#: The code that passes a challenge (like Flutterwave's test OTP).
TEST_OTP = "123456"


@dataclass
class Challenge:
    id: str
    charge: str
    redirect: bool
    state: str = "pending"  # then "succeeded", "failed" or "canceled"


def _challenges(account: Account) -> dict[str, Challenge]:
    found: dict[str, Challenge] = account.__dict__.setdefault("_challenges", {})
    return found


def _canceled_keys(account: Account) -> set[str]:
    found: set[str] = account.__dict__.setdefault("_canceled_keys", set())
    return found


def open_challenge(account: Account, charge: Charge, *, redirect: bool) -> None:
    """The processor asks the customer to authenticate ``charge`` (under the
    account's lock, from ``create_charge``)."""
    charge.status = "requires_action"
    challenge = Challenge(f"3ds_fake_{secrets.token_hex(10)}", charge.id, redirect)
    _challenges(account)[charge.id] = challenge


def challenge_for(account: Account, charge_id: str) -> Challenge | None:
    """The challenge of ``charge_id`` (a copy), or ``None``."""
    with account._lock:
        found = _challenges(account).get(charge_id)
        return Challenge(found.id, found.charge, found.redirect, found.state) if found else None


def answer_challenge(account: Account, challenge_id: str, otp: str) -> Charge:
    """The customer answers challenge ``challenge_id`` with ``otp``: the
    charge is paid with :data:`TEST_OTP`, failed (``authentication_failed``)
    with anything else. A challenge that was already answered or cancelled
    keeps its outcome. Raises a 400 ``ApiError`` for an unknown challenge."""
    from .wire import ApiError

    def action() -> Charge:
        found = next((c for c in _challenges(account).values() if c.id == challenge_id), None)
        if found is None:
            raise ApiError(400, "resource_missing", f"No such challenge: {challenge_id}")
        charge = account._charges[found.charge]
        if found.state == "pending":
            if secrets.compare_digest(otp.encode("utf-8"), TEST_OTP.encode("utf-8")):
                found.state, charge.status = "succeeded", "succeeded"
            else:
                found.state, charge.status = "failed", "failed"
                charge.failure_code = "authentication_failed"
                charge.failure_message = "The card holder did not complete 3-D Secure authentication."
        return charge

    charge, _ = account._request("answer_challenge", action)
    return charge


def cancel(account: Account, *, charge_id: str | None, idempotency_key: str) -> Charge | None:
    """Cancel the payment made with ``idempotency_key`` (or ``charge_id``):
    a challenged charge becomes ``canceled``; with no charge, the key is
    closed. Returns the charge (a paid one unchanged), or ``None``."""

    def action() -> Charge | None:
        charge = account._charges.get(charge_id or "") or next(
            (c for c in account._charges.values() if c.idempotency_key == idempotency_key), None)
        if charge is None:
            _canceled_keys(account).add(idempotency_key)
            return None
        if charge.status == "requires_action":
            charge.status, charge.failure_code = "canceled", "canceled"
            challenge = _challenges(account).get(charge.id)
            if challenge is not None:
                challenge.state = "canceled"
        return charge

    charge, _ = account._request("cancel_payment", action)
    return charge


def refuse_if_canceled(account: Account, idempotency_key: str) -> None:
    """A charge may not be made with a key whose payment was cancelled (under
    the lock, from ``create_charge``)."""
    from .wire import ApiError

    if idempotency_key in _canceled_keys(account):
        raise ApiError(400, "payment_canceled", "This payment was canceled and can no longer be paid.")


# --- the backend's side ----------------------------------------------------------

#: Where payproc.web serves the fake's challenge page (the backend's static/).
CHALLENGE_PAGE = "backends/fake/challenge.html"


def next_action(challenge: Challenge, return_url: str | None) -> NextAction:
    """What the customer must do for ``challenge``: the page's script asks
    for the code (``script``), or the customer is sent to the challenge page,
    which brings them back to ``return_url`` (``redirect``)."""
    from urllib.parse import urlencode

    from payproc.types import ActionKind, NextAction

    values = {"challenge": challenge.id, "test_otp_hint": "the fake's test code is " + TEST_OTP}
    if challenge.redirect and return_url:
        query = urlencode({"challenge": challenge.id, "return_url": return_url})
        return NextAction(kind=ActionKind.REDIRECT, url=f"{CHALLENGE_PAGE}?{query}", values=values)
    return NextAction(kind=ActionKind.SCRIPT, url=None, values=values)
