"""The fake processor in a process of its own, for tests and benchmarks that
run several payproc processes against ONE processor (as real ones would).

:func:`start` runs a server (a separate process listening on 127.0.0.1,
``multiprocessing.connection``) that holds the fake processor's accounts
(:mod:`payproc_fake.processor`, unchanged). :class:`SharedFakeBackend` is the
fake backend whose requests go to that server instead of this process's
registry. The server records when each request arrived (its own clock, one
clock for every client process) and then takes ``LATENCY_MS`` to answer, as
a processor on the network would; so what it records is what a processor's
rate limiter would see.

Settings of the ``PROCESSOR`` section: ``BACKEND=fake``, ``ACCOUNT``,
``LATENCY_MS``, and ``SHARED_PROCESSOR="127.0.0.1:<port>"``.
"""

from __future__ import annotations

import threading
import time
import queue
import subprocess
import sys
from multiprocessing.connection import Client as MPClient
from multiprocessing.connection import Connection, Listener
from typing import Any

from payproc import hookimpl
from payproc_fake import processor
from payproc_fake.backend import FakeBackend
from payproc_fake.settings import FakeSettings

AUTHKEY = b"payproc-shared-fake"


class Service:
    """Lives in the server process: every account, and when each request came."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._arrivals: dict[str, list[tuple[float, str]]] = {}

    def call(self, account: str, method: str, latency_ms: int, args: tuple[Any, ...],
             kwargs: dict[str, Any]) -> tuple[str, Any]:
        arrived = time.time()
        with self._lock:
            self._arrivals.setdefault(account, []).append((arrived, method))
        if latency_ms:
            time.sleep(latency_ms / 1000)
        try:
            return "ok", getattr(processor.get_account(account), method)(*args, **kwargs)
        except processor.ApiError as error:
            return "api", (error.status, error.code, error.message, error.charge)
        except processor.NetworkFault as fault:
            return "network", (fault.kind, fault.done)

    def backdoor(self, account: str, method: str, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None
                 ) -> Any:
        """An account method without latency or arrival record (setup, checks)."""
        return getattr(processor.get_account(account), method)(*args, **(kwargs or {}))

    def add_customers(self, account: str, n: int, token: str = "tok_visa") -> list[str]:
        """``n`` customers with a card on file, created in one request (setup)."""
        api = processor.get_account(account)
        return [api.save_card(token, customer_id=None, description=f"c{i}", email=None).id for i in range(n)]

    def arrivals(self, account: str) -> list[tuple[float, str]]:
        with self._lock:
            return list(self._arrivals.get(account, []))

    def succeeded_keys(self, account: str) -> list[str]:
        """The idempotency key of every succeeded charge, once per charge."""
        return [c["idempotency_key"] for c in processor.get_account(account).list_charges()
                if c["status"] == "succeeded"]


def _serve_connection(service: Service, connection: Connection) -> None:
    with connection:
        while True:
            try:
                method, args, kwargs = connection.recv()
            except (EOFError, OSError):
                return  # the client went away (a killed worker, say)
            try:
                connection.send(getattr(service, method)(*args, **kwargs))
            except (BrokenPipeError, OSError):
                return


def serve() -> None:
    """Listen on an ephemeral loopback port, print it, answer until killed."""
    service = Service()
    with Listener(("127.0.0.1", 0), authkey=AUTHKEY) as listener:
        host, port = listener.address
        print(f"{host}:{port}", flush=True)
        while True:
            connection = listener.accept()
            threading.Thread(target=_serve_connection, args=(service, connection), daemon=True).start()


class Server:
    """The server process (``python shared_processor.py``); ``address`` is
    ``"127.0.0.1:<port>"``."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, __file__], stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.address = self.process.stdout.readline().strip()
        if not self.address:
            raise RuntimeError("the shared fake processor did not start")

    def shutdown(self) -> None:
        self.process.terminate()
        self.process.wait()


def start() -> Server:
    return Server()


class Client:
    """Connections to the server, pooled: each request takes a connection
    that is already open and authenticated, so what the server records is
    when the request was sent, not when a connection was set up."""

    def __init__(self, address: str, warm: int = 0) -> None:
        host, port = address.rsplit(":", 1)
        self._address = (host, int(port))
        self._idle: queue.LifoQueue[Connection] = queue.LifoQueue()
        for _ in range(warm):
            self._idle.put(MPClient(self._address, authkey=AUTHKEY))

    def __getattr__(self, method: str) -> Any:
        def request(*args: Any, **kwargs: Any) -> Any:
            try:
                connection = self._idle.get_nowait()
            except queue.Empty:
                connection = MPClient(self._address, authkey=AUTHKEY)
            connection.send((method, args, kwargs))
            answer = connection.recv()
            self._idle.put(connection)
            return answer

        return request


_clients: dict[str, Client] = {}
_clients_lock = threading.Lock()


def connect(address: str, warm: int = 0) -> Client:
    """This process's client of the server at ``address``."""
    with _clients_lock:
        if address not in _clients:
            _clients[address] = Client(address, warm)
        return _clients[address]


class RemoteAccount:
    """An :class:`~payproc_fake.processor.Account` look-alike whose methods
    are requests to the server; errors come back as the processor's own."""

    def __init__(self, address: str, account: str, latency_ms: int) -> None:
        self._address, self._account, self._latency = address, account, latency_ms

    def __getattr__(self, method: str) -> Any:
        def request(*args: Any, **kwargs: Any) -> Any:
            kind, value = connect(self._address).call(self._account, method, self._latency, args, kwargs)
            if kind == "api":
                status, code, message, charge = value
                raise processor.ApiError(status, code, message, charge=charge)
            if kind == "network":
                fault, done = value
                raise processor.NetworkFault(fault, done=done)
            return value

        return request


class SharedFakeSettings(FakeSettings):
    """The fake's settings and where the shared server listens (the core
    refuses keys a backend's model does not declare)."""

    SHARED_PROCESSOR: str | None = None
    SHARED_CONNECTIONS: int = 16


class SharedFakeBackend(FakeBackend):
    """The fake backend, talking to the shared server (``SHARED_PROCESSOR``);
    ``SHARED_CONNECTIONS`` connections are opened up front (default 16)."""

    @hookimpl
    def settings_model(self) -> type[SharedFakeSettings]:
        return SharedFakeSettings

    def _api(self) -> Any:
        address = getattr(self.settings, "SHARED_PROCESSOR", None)
        if not address:
            raise RuntimeError("SHARED_PROCESSOR (host:port of the shared fake processor) is not set")
        connect(address, int(getattr(self.settings, "SHARED_CONNECTIONS", 16)))
        return RemoteAccount(address, self.settings.ACCOUNT, self.settings.LATENCY_MS)


def peak_per_second(times: list[float], window: float = 1.0) -> int:
    """The most requests that arrived within any ``window`` seconds
    (half-open sliding window over the arrival times)."""
    ordered = sorted(times)
    peak, first = 0, 0
    for last, at in enumerate(ordered):
        while at - ordered[first] >= window:
            first += 1
        peak = max(peak, last - first + 1)
    return peak


if __name__ == "__main__":
    serve()
