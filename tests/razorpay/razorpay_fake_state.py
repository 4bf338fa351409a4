"""The state of the fake Razorpay, assembled from one module per story:

* :mod:`razorpay_fake_payments` — orders, payments, captures, recurring
  payments (asynchronous debits), UPI payments awaiting approval;
* :mod:`razorpay_fake_customers` — customers and saved tokens;
* :mod:`razorpay_fake_refunds` — refunds and disputes;
* :mod:`razorpay_fake_transfers` — Route transfers (``X-Transfer-Idempotency``);
* :mod:`razorpay_fake_errors` / :mod:`razorpay_fake_webhooks` — Razorpay's
  error bodies and request rules, signed webhook deliveries.

It follows Razorpay's API reference and the SDK's own test fixtures
(``shared/data/razorpay-sdk-mocks``; ``test_razorpay_mocks.py`` checks the
shapes): every refusal answers in Razorpay's error shape, every change raises
the webhook Razorpay would send. Simplification: the balance is one INR number.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from razorpay_fake_customers import CustomersAndTokens
from razorpay_fake_errors import RazorpayError, not_found, public
from razorpay_fake_payments import OrdersAndPayments
from razorpay_fake_refunds import RefundsAndDisputes
from razorpay_fake_transfers import Transfers
from razorpay_fake_webhooks import ALPHABET, Delivery, build_webhook, sign

__all__ = ["Delivery", "FakeRazorpayState", "Fault", "RazorpayError", "build_webhook", "not_found", "sign"]


@dataclass
class Fault:
    """Break the next matching request: ``mode`` is ``timeout`` (apply, then
    answer too late), ``server_error`` (apply, then 500) or ``gateway_error``
    (502 before applying)."""

    method: str
    path: str
    mode: str
    delay: float = 0.0
    times: int = 1


@dataclass
class _Tables:
    key_id: str
    key_secret: str
    webhook_secret: str
    accounts: set[str] = field(default_factory=lambda: {"acc_Provider000001"})
    balance: int = 0
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    transfers: dict[str, dict[str, Any]] = field(default_factory=dict)
    transfer_keys: dict[str, tuple[dict[str, Any], str]] = field(default_factory=dict)
    disputes: dict[str, dict[str, Any]] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    requests: list[tuple[str, str]] = field(default_factory=list)
    #: (method, path, headers) of every API request, for tests of headers.
    request_headers: list[tuple[str, str, dict[str, str]]] = field(default_factory=list, repr=False)


class FakeRazorpayState(OrdersAndPayments, CustomersAndTokens, RefundsAndDisputes, Transfers, _Tables):
    # --- helpers the stories share ---------------------------------------

    @staticmethod
    def new_id(prefix: str) -> str:
        return f"{prefix}_" + "".join(secrets.choice(ALPHABET) for _ in range(14))

    @staticmethod
    def now() -> int:
        return int(time.time())

    @staticmethod
    def fault(method: str, path: str, mode: str, delay: float = 0.0) -> Fault:
        return Fault(method, path, mode, delay)

    def emit(self, name: str, **entities: Mapping[str, Any]) -> Delivery:
        delivery = build_webhook(name, entities, self.webhook_secret, self.now())
        self.deliveries.append(delivery)
        return delivery

    def take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.method == method and re.fullmatch(fault.path, path):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    @staticmethod
    def collection(items: list[dict[str, Any]], args: Mapping[str, str]) -> dict[str, Any]:
        """Newest first, with Razorpay's ``from``/``to`` (seconds), ``count``
        (default 10, at most 100) and ``skip``."""
        selected = list(reversed(items))
        if "from" in args:
            selected = [i for i in selected if i["created_at"] >= int(args["from"])]
        if "to" in args:
            selected = [i for i in selected if i["created_at"] <= int(args["to"])]
        count = int(args.get("count", 10))
        if not 1 <= count <= 100:
            raise RazorpayError("The count must be between 1 and 100.", field="count")
        skip = int(args.get("skip", 0))
        page = [public(i) for i in selected[skip : skip + count]]
        return {"entity": "collection", "count": len(page), "items": page}

    def get(self, table: dict[str, dict[str, Any]], entity_id: str) -> dict[str, Any]:
        if entity_id not in table:
            raise not_found()
        return table[entity_id]
