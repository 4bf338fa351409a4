"""rave_python 1.5 (the legacy v2 path), loaded lazily and kept from talking
to anyone but the API.

What constructing an SDK object does (``RaveBase.__init__``, read in 1.5.0):

1. ``AppIdentityClient(public_key).get_app_id()``: a process-wide singleton
   that reads ``/tmp/flw_sdk.json`` (or ``$FLW_SDK_STATE_PATH``), else calls
   ``GET https://api.ravepay.co/flwv3-pug/getpaidx/api/mercinfo?PBFPubKey=…``
   (a host hard-coded in the class, not the configured API), else POSTs the
   public key to a third-party telemetry service (SigNoz) with an API key of
   its own, then writes the cache file.
2. ``TelemetryClient.register_app(public_key)``: posts the public key to the
   same telemetry service on a background thread. Every later call posts a
   ``request.sent`` event (and ``app.transaction`` / ``app.error``).

A payment backend must not send keys or transaction data to a third party,
nor stall for the 5 s timeouts of those calls, nor write to ``/tmp``. So,
once per process and before the first SDK object is built,
:func:`silence_side_channels`:

* gives the identity singleton an app id (``payproc-no-telemetry``), so it
  neither reads nor writes the cache file nor calls mercinfo or telemetry;
* replaces the module-level ``telemetry`` object (bound by name in
  ``rave_python.telemetry``, ``.telemetryClient`` and ``.identity``) with one
  whose ``emit``/``post_sync`` do nothing, and marks the app as registered.

The SDK's HTTP calls to the payment API itself are untouched: verify and
refund go through ``requests`` exactly as the SDK makes them, to the
configured ``API_BASE`` (set as the SDK object's ``_baseUrl``, the attribute
all its endpoint URLs are built from). The one override is
``_handleVerifyResponse``, the hook the SDK's own comment says implementing
classes may alter: it reads the raw answer with :mod:`.verify` before
letting the SDK parse it too.
"""

from __future__ import annotations

import functools
import logging
import threading
import warnings
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from payproc.errors import OutcomeUnknown, ProcessorError, ProcessorSetupError

from ..transaction import Transaction
from .settings import LegacySettings
from .verify import parse_verify_answer

__all__ = ["APP_ID", "RaveClient", "silence_side_channels"]

log = logging.getLogger("payproc.flutterwave")

APP_ID = "payproc-no-telemetry"
_T = TypeVar("_T")
_silence_lock = threading.Lock()
_silenced = False


class _NoTelemetry:
    """Stands in for ``rave_python.telemetry.telemetry``: sends nothing."""

    endpoint = ""

    def emit(self, name: str, data: dict[str, Any]) -> None:
        return None

    def post_sync(self, name: str, data: dict[str, Any]) -> dict[str, Any]:
        return {}


def silence_side_channels() -> None:
    """Stop rave_python's identity look-up, telemetry and cache file for this
    process (idempotent, thread-safe). See the module docstring for why."""
    global _silenced
    with _silence_lock:
        if _silenced:
            return
        from rave_python import identity, telemetry, telemetryClient

        quiet = _NoTelemetry()
        telemetry.telemetry = quiet  # type: ignore[assignment]
        telemetryClient.telemetry = quiet  # type: ignore[attr-defined]
        identity.telemetry = quiet  # type: ignore[attr-defined]
        telemetryClient.TelemetryClient._registered = True
        client = identity.AppIdentityClient(APP_ID)
        if not client._app_id:
            client._app_id = APP_ID
        _silenced = True


@functools.cache
def _card_class() -> type[Any]:
    """``rave_python``'s ``Card`` with a verify hook that reads the raw answer
    correctly (documented v2 field names, exact amounts, every error shape)."""
    from rave_python.rave_card import Card

    class PayprocCard(Card):  # type: ignore[misc]
        def _handleVerifyResponse(self, response: Any, txRef: str, request: Any = None) -> dict[str, Any]:
            transaction = parse_verify_answer(response.status_code, response.content, txRef)
            try:
                sdk_view = super()._handleVerifyResponse(response, txRef, request)
            except Exception as error:  # noqa: BLE001 - the SDK's own parse; ours already succeeded
                log.debug("rave_python could not parse a verify answer: %r", error)
                sdk_view = {"sdk_error": repr(error)}
            return {**sdk_view, "payproc_transaction": transaction}

    return PayprocCard


def _with_deadline(call: Callable[[], _T], seconds: float, what: str) -> _T:
    """Run ``call`` in a daemon thread and give up after ``seconds``.

    rave_python passes no timeout to ``requests``, so a stalled connection
    would block a checkout for ever. Past the deadline the outcome is
    unknown (the request may still land): :class:`OutcomeUnknown`.
    """
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = error

    worker = threading.Thread(target=run, name=f"payproc-flutterwave {what}", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise OutcomeUnknown(f"Flutterwave did not answer {what} within {seconds:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


def _network_error(error: BaseException, what: str) -> OutcomeUnknown | None:
    import requests

    if isinstance(error, (requests.ConnectionError, requests.Timeout)):
        return OutcomeUnknown(f"could not reach Flutterwave to {what}: {type(error).__name__}")
    return None


class RaveClient:
    """The SDK object of one backend instance (built on first use) and the
    two calls payproc makes through it."""

    def __init__(self, settings: LegacySettings) -> None:
        self._settings = settings
        self._card: Any = None
        self._lock = threading.Lock()

    @property
    def card(self) -> Any:
        with self._lock:
            if self._card is None:
                silence_side_channels()
                settings = self._settings
                with warnings.catch_warnings():
                    # usingEnv=False warns that the secret is passed as an argument:
                    # it is, on purpose (one key per backend instance, no env var).
                    warnings.simplefilter("ignore", SyntaxWarning)
                    card = _card_class()(
                        settings.PUB_KEY,
                        settings.PRIV_KEY.get_secret_value(),
                        settings.production,
                        False,
                    )
                card._baseUrl = settings.api_base
                self._card = card
            return self._card

    def verify(self, tx_ref: str) -> tuple[Transaction, dict[str, Any]]:
        """``Card.verify(tx_ref)``: the transaction (read by us) and the SDK's
        own parse of the same answer (for diagnostics)."""

        def call() -> dict[str, Any]:
            try:
                return self.card.verify(tx_ref)  # type: ignore[no-any-return]
            except Exception as error:
                mapped = _network_error(error, f"verify {tx_ref}")
                if mapped is not None:
                    raise mapped from error
                raise

        result = _with_deadline(call, self._settings.TIMEOUT, f"verify {tx_ref}")
        transaction = result.pop("payproc_transaction")
        return transaction, result

    def refund(self, flw_ref: str, amount: Decimal) -> dict[str, Any]:
        """``Card.refund(flw_ref, amount)``: Flutterwave's refund record.

        The amount goes as a string: the SDK ``json.dumps`` it, and a Decimal
        is not JSON serializable (a float would not be exact).
        """
        from rave_python.rave_exceptions import RefundError, ServerError

        def call() -> Any:
            try:
                return self.card.refund(flw_ref, str(amount))
            except RefundError as error:
                message = str(error.args[0]) if error.args else "refund refused"
                if any(word in message.lower() for word in ("secret key", "seckey", "invalid key")):
                    raise ProcessorSetupError(f"Flutterwave refused the secret key: {message}") from None
                raise ProcessorError(f"Flutterwave refused the refund of {flw_ref}: {message}") from None
            except ServerError:
                raise OutcomeUnknown(f"Flutterwave answered the refund of {flw_ref} with a body that is not JSON") from None
            except Exception as error:
                mapped = _network_error(error, f"refund {flw_ref}")
                if mapped is not None:
                    raise mapped from error
                raise

        result = _with_deadline(call, self._settings.TIMEOUT, f"refund {flw_ref}")
        if not result or not isinstance(result[1], dict):
            raise OutcomeUnknown(f"Flutterwave's answer to the refund of {flw_ref} is neither success nor error")
        return result[1]
