"""The simulated processor "server".

A real processor lives in another process: its state survives an application
restart, two application processes see the same charges, and a request can
take effect even when its answer never arrives. The fake keeps that shape:
accounts live in a process-wide registry keyed by the ``ACCOUNT`` setting,
so a new backend instance (an app "restart" in a test) finds the charges the
previous one made. Every account has a lock; all state changes happen under
it.

The backend talks to an :class:`Account` only through its public methods,
which answer copies of records or raise :class:`ApiError` (what an HTTP error
answer would carry) or :class:`NetworkFault` (no answer at all). Mapping
those to payproc's errors is the backend's job, as for a real processor.

Faults for reliability tests, queued with :meth:`Account.fail_next`:

* ``"unreachable"``: the request never arrives; nothing is done.
* ``"unavailable"``: the processor answers 503; nothing is done.
* ``"timeout"``: the request is carried out, then the answer is lost.

Tests reset the registry with :func:`reset` and read an account's charges
through the backdoor :meth:`Account.list_charges`.
"""

from __future__ import annotations

import threading

from .customers import Customers
from .events import Events
from .wire import FAULT_KINDS, ApiError, NetworkFault

__all__ = [
    "FAULT_KINDS",
    "Account",
    "ApiError",
    "NetworkFault",
    "get_account",
    "reset",
]


class Account(Events, Customers):
    """One account on the fake processor, with everything it holds: charges
    and refunds (:mod:`.charging`), customers (:mod:`.customers`), payouts
    (:mod:`.payouts`) and what it does by itself (:mod:`.events`)."""


_REGISTRY: dict[str, Account] = {}
_REGISTRY_LOCK = threading.Lock()


def get_account(name: str = "acct_fake") -> Account:
    """The account called ``name``, created on first use; shared by every
    backend instance of the process that names it."""
    with _REGISTRY_LOCK:
        account = _REGISTRY.get(name)
        if account is None:
            account = _REGISTRY[name] = Account(name)
        return account


def reset(name: str | None = None) -> None:
    """Forget one account (or all of them): for tests."""
    with _REGISTRY_LOCK:
        if name is None:
            _REGISTRY.clear()
        else:
            _REGISTRY.pop(name, None)

