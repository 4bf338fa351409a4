"""Record every outgoing connection of the test process and refuse those
that would leave loopback.

Installed as a CPython audit hook (``socket.connect`` and
``socket.getaddrinfo`` events), which fire in C for every socket of the
process, whatever library opens it, pytest-socket or not. A refused
connection raises before the system call, so nothing is sent.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
from typing import Any

__all__ = ["GUARD", "NetGuard", "is_loopback"]

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback(host: Any) -> bool:
    """Whether ``host`` (an address or name) stays on this machine."""
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]")
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


class NetGuard:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connections: list[tuple[str, Any]] = []
        self.violations: list[tuple[str, Any]] = []
        self.allowed_hosts: set[str] = set()
        self.installed = False

    def install(self) -> None:
        if not self.installed:
            sys.addaudithook(self._hook)
            self.installed = True

    def _hook(self, event: str, args: tuple[Any, ...]) -> None:
        if event == "socket.connect":
            sock, address = args
            if getattr(sock, "family", None) == socket.AF_UNIX:
                return
            host = address[0] if isinstance(address, tuple) and address else address
            self._check("connect", host, address)
        elif event == "socket.getaddrinfo":
            self._check("getaddrinfo", args[0], args[:2])

    def _check(self, kind: str, host: Any, detail: Any) -> None:
        with self.lock:
            self.connections.append((kind, detail))
            if is_loopback(host) or str(host) in self.allowed_hosts:
                return
            self.violations.append((kind, detail))
        raise ConnectionRefusedError(f"test network guard: {kind} to {detail!r} would leave loopback")


GUARD = NetGuard()
