"""The fake processor's wire: what a request to it may end in (an error
answer, no answer at all) and the base of an account — its state, the
queued faults and the idempotency index every request goes through."""

from __future__ import annotations

import copy
import secrets
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, TypeVar

from .records import Charge, Customer, Payout, Refund

__all__ = ["FAULT_KINDS", "ApiError", "NetworkFault", "Server", "new_id", "utcnow"]

FAULT_KINDS = ("unreachable", "timeout", "unavailable")

T = TypeVar("T")
K = TypeVar("K")


class ApiError(Exception):
    """An error answer from the processor: ``status`` is its HTTP status
    (402 card declined, 401 bad key, 400 refused, 404 unknown), ``code`` its
    machine-readable reason, ``charge`` the failed charge's id if any."""

    def __init__(self, status: int, code: str, message: str, *, charge: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.charge = charge


class NetworkFault(Exception):
    """No answer reached the caller. ``done`` tells (the fake knows, a real
    caller would not) whether the request took effect."""

    def __init__(self, kind: str, *, done: bool) -> None:
        super().__init__(f"fake processor: {kind}")
        self.kind = kind
        self.done = done


def new_id(prefix: str) -> str:
    return f"{prefix}_fake_{secrets.token_hex(12)}"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)



class Server:
    """An account's state and request plumbing; the operations are the
    mixins of :class:`payproc_fake.processor.Account`."""

    def __init__(self, name: str) -> None:
        self.name = name
        #: Returns the processor's current time; tests may replace it.
        self.clock: Callable[[], datetime] = utcnow
        #: Secret the processor signs webhooks with (set by the backend's
        #: ``configure`` when it has a ``WEBHOOK_SECRET``).
        self.webhook_secret: str | None = None
        #: Every request that reached the processor, by operation name, in
        #: order (``requests.count("create_charge")``).
        self.requests: list[str] = []
        self._lock = threading.RLock()
        self._faults: list[tuple[str, str | None]] = []
        self._charges: dict[str, Charge] = {}
        self._idempotency: dict[str, tuple[tuple[Any, ...], str | ApiError]] = {}
        self._refunds: dict[str, Refund] = {}
        self._customers: dict[str, Customer] = {}
        self._payouts: dict[str, Payout] = {}
        self._banks: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"<fake processor account {self.name!r}: {len(self._charges)} charges>"

    # --- faults ---------------------------------------------------------------

    def fail_next(self, *kinds: str, operation: str | None = None) -> None:
        """Queue faults for the next requests, in order (one per request).
        With ``operation`` (``"create_charge"``, ``"refund"``,
        ``"retrieve_charge"``…), they wait for a request of that kind."""
        for kind in kinds:
            if kind not in FAULT_KINDS:
                raise ValueError(f"unknown fault {kind!r}: expected one of {', '.join(FAULT_KINDS)}")
        with self._lock:
            self._faults.extend((kind, operation) for kind in kinds)

    def pending_faults(self) -> list[str]:
        with self._lock:
            return [kind for kind, _ in self._faults]

    def _take_fault(self, operation: str) -> str | None:
        with self._lock:
            for index, (kind, target) in enumerate(self._faults):
                if target is None or target == operation:
                    del self._faults[index]
                    return kind
        return None

    def _request(
        self,
        operation: str,
        action: Callable[[], T],
        *,
        key: str | None = None,
        params: tuple[Any, ...] = (),
        find: Callable[[str], T] | None = None,
    ) -> tuple[T, bool]:
        """Run ``action`` as one request: faults first, then the idempotency
        index (same key and params: the first answer again; other params:
        refused). Returns the result and whether it was a replay."""
        fault = self._take_fault(operation)
        if fault == "unreachable":
            raise NetworkFault("unreachable", done=False)
        if fault == "unavailable":
            raise ApiError(503, "unavailable", "the fake processor is unavailable (503)")
        with self._lock:
            self.requests.append(operation)
            replayed = False
            stored = self._idempotency.get(key) if key is not None else None
            if stored is not None:
                stored_params, outcome = stored
                if stored_params != (operation, *params):
                    raise ApiError(400, "idempotency_error", "idempotency key reused with different parameters")
                if isinstance(outcome, ApiError):
                    raise outcome
                assert find is not None
                result, replayed = find(outcome), True
            else:
                try:
                    result = action()
                except ApiError as error:
                    if key is not None and error.status == 402:
                        self._idempotency[key] = ((operation, *params), error)
                    raise
                if key is not None:
                    self._idempotency[key] = ((operation, *params), getattr(result, "id", ""))
            result = copy.deepcopy(result)
        if fault == "timeout":
            raise NetworkFault("timeout", done=True)
        return result, replayed

    def _lookup(self, operation: str, records: dict[str, K], record_id: str | None,
                idempotency_key: str | None) -> K | None:
        """One request that finds a record by its id, else by the idempotency
        key it was made with; ``None`` is the processor's 404."""

        def action() -> K | None:
            if record_id is not None:
                return records.get(record_id)
            return next((r for r in records.values() if getattr(r, "idempotency_key", None) == idempotency_key),
                        None)

        found, _ = self._request(operation, action)
        return found
