"""payproc from a Django project: the checkout and the processor's webhook
as two Django views calling the same core functions that ``payproc.web``
serves (no Starlette involved).

    # settings.py:  PAYPROC = Payproc()   (or build it in an AppConfig.ready)
    # urls.py:
    from examples.django_view import checkout, webhook
    urlpatterns = [path("checkout/", checkout), path("webhooks/<str:backend>/", webhook)]

The page posts the processor's token under the backend's field name
(``app.backend.token_field``: ``stripeToken``, ``razorpay_payment_id``…);
when it is missing, the answer names that field — what you would otherwise
hunt for in the browser's DevTools.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from payproc import Payproc
from payproc.errors import (
    CardError,
    InvalidInput,
    NoPaymentMethod,
    OutcomeUnknown,
    ProcessorError,
    ProcessorSetupError,
    WebhookVerificationError,
)
from payproc.money import from_major

__all__ = ["checkout", "configure", "urlpatterns", "webhook"]

_PAYPROC: Payproc | None = None


def configure(app: Payproc | None) -> None:
    """Set the Payproc instance the views use (once, at start-up)."""
    global _PAYPROC
    _PAYPROC = app


def payproc() -> Payproc:
    if _PAYPROC is None:
        raise RuntimeError("call examples.django_view.configure(Payproc()) at start-up")
    return _PAYPROC


def customer_of(request: HttpRequest) -> str:
    """Who pays. In a real project: the logged-in user's billing profile,
    never a field the browser chooses."""
    return str(request.POST.get("customer", "demo"))


def _error(status: int, code: str, message: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": code, "message": message, **extra}, status=status)


@require_POST
def checkout(request: HttpRequest) -> JsonResponse:
    """Form post: ``amount`` (major units, "20.00"), ``currency``, the token
    in the backend's token field, and the ``idempotency_key`` from the
    payment context when the page asked for one."""
    app = payproc()
    token_field = app.backend.token_field
    token = request.POST.get(token_field) or None
    if token is None:
        # The payer here is a posted field (customer_of): without a token the
        # card on file would be charged on the browser's word, anyone's card.
        # With the payer from your login, this check may go.
        return _error(400, "no_token", f"no processor token: it is expected in the {token_field!r} field.",
                      token_field=token_field)
    try:
        currency = request.POST.get("currency", "usd")
        amount = from_major(request.POST.get("amount", ""), currency)
        charge = app.checkout(
            customer_of(request), amount, currency, token,
            idempotency_key=request.POST.get("idempotency_key") or None,
        )
    except NoPaymentMethod as error:
        return _error(400, "no_payment_method",
                      f"{error.message} The processor token is expected in the {token_field!r} field.",
                      token_field=token_field)
    except InvalidInput as error:
        return _error(400, "invalid_input", str(error))
    except CardError as error:
        return _error(402, error.code, error.message)
    except OutcomeUnknown:
        return _error(202, "outcome_unknown", "The payment is being confirmed; do not pay again.")
    except ProcessorSetupError:
        return _error(503, "processor_setup_error", "Payments are unavailable right now.")
    except ProcessorError as error:
        return _error(502, "processor_error", error.message)
    return JsonResponse({"id": charge.id, "state": str(charge.state), "amount": charge.amount,
                         "currency": charge.currency, "last4": charge.last4},
                        status=200 if charge.state == "done" else 202)


@csrf_exempt  # the processor signs its callbacks; it has no CSRF token
@require_POST
def webhook(request: HttpRequest, backend: str) -> JsonResponse:
    """The raw body, unparsed, to ``handle_webhook``: 2xx only once stored,
    400 for a bad signature (any other error is a 500: the processor retries)."""
    app = payproc()
    if backend != app.backend.name:
        return _error(404, "unknown_backend", f"this application's backend is {app.backend.name!r}")
    try:
        outcome = app.handle_webhook(request.body, dict(request.headers))
    except WebhookVerificationError as error:
        return _error(400, "webhook_verification_failed", str(error))
    return JsonResponse({"event_id": outcome.event_id, "status": outcome.status})


urlpatterns = [path("checkout/", checkout), path("webhooks/<str:backend>/", webhook)]
