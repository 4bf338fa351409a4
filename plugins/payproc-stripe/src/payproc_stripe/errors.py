"""Turning Stripe SDK exceptions into payproc's four outcomes.

* card declined (HTTP 402) -> :class:`~payproc.errors.CardError`, with
  Stripe's code and the failed charge's id;
* authentication or permission (401, 403) -> :class:`ProcessorSetupError`
  naming the profile whose connected account was used, ``revoked=True`` when
  the request went through a ``Stripe-Account`` (the core then clears that
  profile's keys);
* connection errors, timeouts and 5xx -> :class:`OutcomeUnknown`: the request
  may have taken effect;
* anything else -> :class:`ProcessorError`.

Messages come from Stripe's error body, which never holds our secret key in
clear (Stripe masks keys in its messages).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

from payproc.errors import CardError, OutcomeUnknown, ProcessorError, ProcessorSetupError

from .routing import Route

__all__ = ["is_missing", "translate"]

_KEY = re.compile(r"\b(sk|rk)_(test|live)_[A-Za-z0-9]+")


def _message(error: Any) -> str:
    text = getattr(error, "user_message", None) or getattr(error, "_message", None) or str(error)
    return _KEY.sub(lambda m: f"{m.group(1)}_{m.group(2)}_***", str(text))


def is_missing(error: BaseException) -> bool:
    """True for Stripe's "No such …" (HTTP 404 ``resource_missing``)."""
    backend = getattr(error, "backend_except", None) or error
    return getattr(backend, "http_status", None) == 404 or getattr(backend, "code", None) == "resource_missing"


def _error_data(error: Any) -> dict[str, Any]:
    body = getattr(error, "json_body", None) or {}
    data = body.get("error") if isinstance(body, dict) else None
    return data if isinstance(data, dict) else {}


def _payment_of(data: dict[str, Any]) -> str | None:
    """The declined payment's key: its PaymentIntent (see ``charges.payment_key``), else its charge."""
    intent = data.get("payment_intent")
    intent_id = intent.get("id") if isinstance(intent, dict) else intent
    return intent_id or data.get("charge")


@contextlib.contextmanager
def translate(route: Route | None = None, *, setup_party: str | None = None) -> Iterator[None]:
    """Run SDK calls, raising payproc errors for Stripe's.

    ``setup_party`` names the profile to blame for a setup error when the
    request used the platform's own keys.
    """
    import stripe

    try:
        yield
    except stripe.CardError as error:
        data = _error_data(error)
        raise CardError(
            _message(error),
            str(error.code or data.get("code") or "card_declined"),
            charge_processor_key=_payment_of(data),
            backend_except=error,
        ) from error
    except (stripe.AuthenticationError, stripe.PermissionError) as error:
        connected = route is not None and route.account is not None
        party = route.party if connected and route is not None else setup_party
        raise ProcessorSetupError(
            _message(error), party, revoked=connected, backend_except=error
        ) from error
    except stripe.APIConnectionError as error:
        raise OutcomeUnknown(f"Stripe could not be reached: {_message(error)}", backend_except=error) from error
    except stripe.StripeError as error:
        status = getattr(error, "http_status", None)
        if status is None or status >= 500:
            raise OutcomeUnknown(
                f"Stripe failed ({status or 'no status'}): {_message(error)}", backend_except=error
            ) from error
        raise ProcessorError(_message(error), backend_except=error) from error
