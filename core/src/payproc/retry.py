"""Retrying a processor call whose outcome is unknown, with the same
idempotency key.

A connection refused, a timeout or a 503 leaves the outcome unknown
(:class:`~payproc.errors.OutcomeUnknown`). Because every payment and refund
carries a stable idempotency key, asking again is safe: the processor answers
the first request's result instead of charging twice. Only ``OutcomeUnknown``
is retried — a decline, a setup error or any other 4xx is an answer, not a
fault. Waits grow exponentially with jitter (tenacity), bounded in count and
length, so a fleet of workers does not retry in lock-step.

Off by default (``RETRIES.ATTEMPTS = 1``): processor SDKs already retry
network errors themselves (Stripe's ``max_network_retries``), and an
application may prefer to settle later rather than hold a request open.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential, wait_random

from .errors import OutcomeUnknown

if TYPE_CHECKING:
    from .backend import Backend
    from .settings import RetrySettings

LOGGER = logging.getLogger("payproc")


def call_with_retries(backend: Backend, policy: RetrySettings, operation: str, **kwargs: Any) -> Any:
    """``backend.call(operation, **kwargs)``, retried on OutcomeUnknown."""
    if policy.ATTEMPTS <= 1:
        return backend.call(operation, **kwargs)

    def _log(state: Any) -> None:
        LOGGER.warning("%s: outcome unknown (attempt %d of %d); retrying with the same idempotency key",
                       operation, state.attempt_number, policy.ATTEMPTS)

    retrying = Retrying(
        retry=retry_if_exception_type(OutcomeUnknown),
        stop=stop_after_attempt(policy.ATTEMPTS),
        wait=wait_exponential(multiplier=policy.INITIAL_WAIT, max=policy.MAX_WAIT) + wait_random(0, policy.INITIAL_WAIT),
        before_sleep=_log,
        reraise=True,
    )
    return retrying(backend.call, operation, **kwargs)
