"""Rate limits on processor calls: one process (a token bucket in memory) or
every process that shares a PostgreSQL database (a row on the database's
clock).

Why a row in PostgreSQL rather than a library over Redis (``limits``): the
processes that split renewals and settling already share the database (it is
how they split the work), so the limit needs no other service, and the
database's clock is the one clock every machine agrees on. The algorithm is
GCRA with a burst of one (a token bucket that holds one token): a call may
start when the row's ``next_at`` has passed, and starting it moves ``next_at``
one interval past *now* in the same statement. Grants are therefore at least
one interval apart on the database's clock, however many processes ask. The
call follows its grant at once (no sleep between them), yet the processor
does not see the grants' spacing exactly: between a grant and the request
reaching the processor, the thread waits for the GIL and the CPU (and for a
connection, if it must open one). On this loaded 2-core machine that wait
varied by up to 12 ms with open connections, and by 250 ms for a request
that first opened its connection; any variation makes R + 1 requests land
within one second when grants are exactly 1/R apart. So the interval is
``(1 + headroom) / rate``: R + 1 grants span ``1 + headroom`` seconds, and
what reaches the processor stays at most ``rate`` in every one-second window
unless that wait varies by more than ``headroom`` seconds (default 0.05:
50 ms, 5 % of the throughput). The row's update is not money: it is committed with
``synchronous_commit = off`` (a crash may forget the last few milliseconds of
grants, which only lets the next call start a little early once), on a
connection of the limiter's own, one statement per grant.

:class:`LimitedBackend` puts a limiter in front of every processor call a
flow makes (``call``/``call_optional``), so a retry or a settle look-up is
counted like the charge itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import text

from .backend import Backend

if TYPE_CHECKING:
    from .db import Database

__all__ = ["PROCESSOR_CALLS", "DatabaseRateLimiter", "LimitedBackend", "Limiter", "TokenBucket"]

_EPSILON = 1e-9


class Limiter(Protocol):
    def acquire(self) -> None: ...


class TokenBucket:
    """At most ``rate`` acquisitions per second on average, ``burst`` at once,
    in this process.

    Thread-safe; ``acquire`` blocks until a token is free. ``clock`` and
    ``sleep`` are injectable so tests check the schedule without timers.
    """

    def __init__(self, rate: float, burst: int = 1, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate, self.burst = float(rate), burst
        self._clock, self._sleep = clock, sleep
        self._tokens = float(burst)
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1 - _EPSILON:  # float sums must not leave a 1e-16 debt
                    self._tokens = max(0.0, self._tokens - 1)
                    return
                wait = (1 - self._tokens) / self.rate
            self._sleep(wait)


#: One round trip per try: take the grant if ``next_at`` has passed (0.0),
#: otherwise say how long until it does (both from the database's clock).
_GRANT = (
    "WITH granted AS (UPDATE payproc_rate_limit"
    " SET next_at = GREATEST(next_at, clock_timestamp()) + make_interval(secs => %(interval)s)"
    " WHERE name = %(name)s AND next_at <= clock_timestamp() RETURNING 0.0::float8 AS wait)"
    " SELECT wait FROM granted"
    " UNION ALL SELECT EXTRACT(EPOCH FROM next_at - clock_timestamp())::float8 FROM payproc_rate_limit"
    " WHERE name = %(name)s AND NOT EXISTS (SELECT 1 FROM granted)"
)
_CREATE = text(
    "INSERT INTO payproc_rate_limit (name, next_at) VALUES (:name, clock_timestamp()) ON CONFLICT (name) DO NOTHING"
)


class DatabaseRateLimiter:
    """At most ``rate`` calls per second across every process and machine
    that uses ``database`` (PostgreSQL) with the same ``name``: grants
    ``(1 + headroom) / rate`` seconds apart (see the module's docstring).

    ``acquire`` returns when this caller may start its call: one statement
    per try, in autocommit on a connection of the limiter's own (opened on
    first use, outside the engine's pool, so that its
    ``synchronous_commit = off`` never reaches a connection that commits
    money; reopened once if the server dropped it). A caller that must wait
    sleeps until the row's ``next_at``, then tries again. Threads of one
    process share the connection in turn: grants are one at a time anyway
    (one row).
    """

    def __init__(self, database: Database, name: str, rate: float, *, headroom: float = 0.05,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if rate <= 0 or not 0 <= headroom < 1:
            raise ValueError("rate must be > 0 and 0 <= headroom < 1")
        if database.is_sqlite:
            raise ValueError("DatabaseRateLimiter needs PostgreSQL; SQLite runs one process: use TokenBucket")
        self.database, self.name, self.rate = database, name, float(rate)
        self.interval = (1.0 + headroom) / self.rate
        self._sleep = sleep
        self._lock = threading.Lock()
        self._connection: Any = None
        with database.engine.begin() as connection:
            connection.execute(_CREATE, {"name": name})

    def __repr__(self) -> str:
        return f"<DatabaseRateLimiter {self.name!r} {self.rate:g}/s>"

    def acquire(self) -> None:
        while True:
            wait = self._try()
            if wait is None:
                return
            # Another process holds the next grant: sleep until then (at
            # least a little, so a crowd of waiters does not spin on the row).
            self._sleep(max(wait, self.interval / 8))

    def close(self) -> None:
        """Close the limiter's connection (it reopens on the next acquire)."""
        with self._lock:
            self._drop()

    def _try(self) -> float | None:
        """None if this call got the grant, else the seconds to wait."""
        params = {"name": self.name, "interval": self.interval}
        with self._lock:
            for attempt in (1, 2):
                connection = self._connection or self._open()
                try:
                    with connection.cursor() as cursor:
                        cursor.execute(_GRANT, params)
                        row = cursor.fetchone()
                    break
                except self._dbapi().OperationalError:
                    self._drop()  # the server closed it (restart, idle timeout): once more on a new one
                    if attempt == 2:
                        raise
        wait = float(row[0]) if row is not None and row[0] is not None else 0.0
        return None if row is not None and wait == 0.0 else wait

    def _open(self) -> Any:
        engine = self.database.engine
        cargs, cparams = engine.dialect.create_connect_args(engine.url)
        connection = engine.dialect.loaded_dbapi.connect(*cargs, **cparams)
        connection.autocommit = True
        with connection.cursor() as cursor:
            # Not money: a crash may forget the last grants, which only lets
            # the next call start a little early once.
            cursor.execute("SET synchronous_commit TO OFF")
        self._connection = connection
        return connection

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - already broken; nothing to keep
                pass

    def _dbapi(self) -> Any:
        return self.database.engine.dialect.loaded_dbapi

    def __del__(self) -> None:
        if getattr(self, "_connection", None) is not None:
            self._drop()


#: The hooks that are requests to the processor and count against its rate
#: limit; other hooks (fees, settings, markup) are computed locally.
PROCESSOR_CALLS = frozenset({
    "create_charge", "create_payment", "retrieve_charge", "refund", "retrieve_refund",
    "create_transfer", "retrieve_transfer", "cancel_payment", "capture_charge", "complete_payment",
    "list_payments", "create_or_update_card",
})


class LimitedBackend(Backend):
    """``backend`` with ``limiter.acquire()`` right before each processor
    request (:data:`PROCESSOR_CALLS`); everything else (notify, fees,
    capabilities, settings) is the backend's own."""

    def __init__(self, backend: Backend, limiter: Limiter) -> None:  # a view: no Backend.__init__
        self.__dict__["_inner"] = backend
        self.__dict__["_limiter"] = limiter

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["_inner"], name)

    def __repr__(self) -> str:
        return f"<LimitedBackend {self.__dict__['_inner']!r} by {self.__dict__['_limiter']!r}>"

    def _acquire(self, operation: str) -> Backend:
        inner: Backend = self.__dict__["_inner"]
        if operation in PROCESSOR_CALLS and inner.supports(operation):
            self.__dict__["_limiter"].acquire()
        return inner

    def call(self, operation: str, **kwargs: Any) -> Any:
        return self._acquire(operation).call(operation, **kwargs)

    def call_optional(self, operation: str, **kwargs: Any) -> Any:
        return self._acquire(operation).call_optional(operation, **kwargs)
