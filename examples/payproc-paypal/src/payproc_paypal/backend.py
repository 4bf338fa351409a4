"""The PayPal backend (Orders v2): payproc's hooks, written against :mod:`.client`.

PayPal is a redirect processor. ``get_payment_context`` creates an order
(``intent: CAPTURE``, ``PayPal-Request-Id`` from the charge's idempotency
key, ``custom_id`` = that key) whose id the core keeps as the charge's
``reference``, and hands the page PayPal's approval link as a redirect
``next_action``. The buyer approves on PayPal's page and comes back to the
core's return URL with ``?token=<order id>&PayerID=…``; the core calls
``complete_payment`` (or, with a page that posts the token,
``create_payment``), which captures *the order stored with the charge* —
the return only says where to look. An order not approved yet answers
``REQUIRES_ACTION`` with the approval link again; a refused funding source is
a :class:`~payproc.errors.CardError`. The processor key of a charge is its
order id, from before approval to after capture.

Webhooks carry no shared secret: PayPal's verification call checks them and
the order is read back before anything changes (``webhook_verification =
"fetch"``, see :mod:`.webhooks`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, ClassVar

from payproc import hookimpl
from payproc.errors import CardError, InvalidInput, ProcessorError
from payproc.money import from_major, to_major
from payproc.types import (
    ActionKind,
    BrowserIntegration,
    ChargeInfo,
    ChargeRef,
    ChargeStatus,
    EventType,
    NextAction,
    Party,
    PaymentContext,
    PaymentRequest,
    PaymentResult,
    Receipt,
    RefundResult,
    WebhookEvent,
)
from pydantic import BaseModel

from . import webhooks
from .client import Client, NotFound, Unprocessable
from .settings import PayPalBackendSettings

__all__ = ["PayPalBackend"]

#: The field the page posts the order id in (PayPal's return query names it ``token``).
TOKEN_FIELD = "token"
_STATUSES = {
    "COMPLETED": ChargeStatus.SUCCEEDED,
    "APPROVED": ChargeStatus.PENDING,  # approved, not captured yet: the return (or complete) captures it
    "CREATED": ChargeStatus.AWAITING_CUSTOMER,
    "SAVED": ChargeStatus.AWAITING_CUSTOMER,
    "PAYER_ACTION_REQUIRED": ChargeStatus.AWAITING_CUSTOMER,
    "VOIDED": ChargeStatus.CANCELED,
}


def _time(value: Any) -> datetime:
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
    return datetime.now(timezone.utc)


def _money(amount: Mapping[str, Any]) -> tuple[int, str]:
    currency = str(amount["currency_code"]).lower()
    return from_major(str(amount["value"]), currency), currency


def _approval(order: Mapping[str, Any]) -> NextAction | None:
    for link in order.get("links") or ():
        if link.get("rel") in ("payer-action", "approve"):
            return NextAction(kind=ActionKind.REDIRECT, url=str(link["href"]), values={"order_id": order["id"]})
    return None


def _receipt(order: Mapping[str, Any]) -> Receipt:
    """A PayPal payment's receipt names the payer's account: no card digits."""
    payer = order.get("payer") or {}
    return Receipt(brand="paypal", card_name=payer.get("email_address") or payer.get("payer_id"))


def _capture(order: Mapping[str, Any]) -> Mapping[str, Any] | None:
    units = order.get("purchase_units") or [{}]
    captures = (units[0].get("payments") or {}).get("captures") or []
    return captures[0] if captures else None


class PayPalBackend:
    """payproc backend for PayPal Orders v2 (entry point ``paypal``)."""

    name = "paypal"
    contract = ">=1.1,<2"
    experimental = True
    webhook_verification = "fetch"
    unsupported: ClassVar[dict[str, str]] = {
        "create_charge": "charging a vaulted PayPal account is not written (Vault API)",
        "charge_distribution": "not written yet (the capture's seller_receivable_breakdown gives PayPal's fee)",
        "cancel_payment": "PayPal has no call to void an unapproved CAPTURE order; it expires by itself "
                          "after 3 hours and retrieve_charge then answers CANCELED",
        "create_or_update_card": "no card on file: PayPal's Vault API is not written",
        "delete_card": "no card on file", "retrieve_card": "no card on file",
        "create_transfer": "PayPal Payouts is not written", "reconcile_transfers": "PayPal Payouts is not written",
        "retrieve_bank": "not written", "update_bank": "not written", "get_deposit_context": "not written",
        "connect_auth": "PayPal partner onboarding is not written",
        "get_authorize_url": "PayPal partner onboarding is not written",
        "get_deauthorize_url": "PayPal partner onboarding is not written",
        "list_customers": "not written",
        "dispute_fee": "not written yet (PayPal's dispute fee)",
        "prorate_transfer": "PayPal Payouts is not written",
        "capture_charge": "orders are created with intent CAPTURE and captured on the return: nothing is "
                          "authorized first",
        "retrieve_refund": "not written yet: a refund whose answer was lost stays unsettled",
        "retrieve_transfer": "PayPal Payouts is not written",
        "list_payments": "not written yet (PayPal's transaction search)",
        "minimum_amount": "not written yet",
    }

    def __init__(self) -> None:
        self.settings: PayPalBackendSettings | None = None
        self._client: Client | None = None

    def __repr__(self) -> str:
        return "<PayPalBackend>"

    @property
    def client(self) -> Client:
        if self._client is None:
            assert self.settings is not None, "configure() was not called"
            self._client = Client(self.settings)
        return self._client

    # --- set-up -----------------------------------------------------------------

    @hookimpl
    def settings_model(self) -> type[BaseModel]:
        return PayPalBackendSettings

    @hookimpl
    def configure(self, settings: BaseModel) -> None:
        assert isinstance(settings, PayPalBackendSettings)
        self.settings = settings
        self._client = None

    @hookimpl
    def browser_integration(self) -> BrowserIntegration:
        return BrowserIntegration(
            token_field=TOKEN_FIELD,
            notes="No script: the page follows the payment context's redirect to PayPal's approval page; "
                  "the buyer comes back to the return URL with ?token=<order id>&PayerID=…",
        )

    # --- payments ---------------------------------------------------------------

    @hookimpl
    def get_payment_context(self, amount: int | None, currency: str | None, idempotency_key: str | None,
                            return_url: str | None) -> PaymentContext:
        """Create the charge's order (``PayPal-Request-Id`` makes a reload
        find the same one) and give the page its approval link."""
        assert self.settings is not None
        if amount is None or currency is None or idempotency_key is None:
            return PaymentContext(values={"client_id": self.settings.CLIENT_ID}, token_field=TOKEN_FIELD)
        unit = {"reference_id": "default", "custom_id": idempotency_key,
                "amount": {"currency_code": currency.upper(), "value": str(to_major(amount, currency))}}
        body: dict[str, Any] = {"intent": "CAPTURE", "purchase_units": [unit]}
        if return_url:
            body["payment_source"] = {"paypal": {"experience_context": {
                "return_url": return_url, "cancel_url": return_url, "user_action": "PAY_NOW",
                "shipping_preference": "NO_SHIPPING"}}}
        try:
            order = self.client.request("POST", "/v2/checkout/orders", json=body, request_id=f"{idempotency_key}-order")
        except Unprocessable as error:
            raise InvalidInput(f"PayPal refused the order: {error.message}") from None
        return PaymentContext(values={"order_id": order["id"]}, token_field=TOKEN_FIELD, reference=str(order["id"]),
                              next_action=_approval(order))

    def _capture_order(self, order_id: str, idempotency_key: str) -> PaymentResult:
        """Capture ``order_id`` and say what PayPal answered."""
        try:
            order = self.client.request("POST", f"/v2/checkout/orders/{order_id}/capture",
                                        request_id=f"{idempotency_key}-capture")
        except Unprocessable as error:
            if error.issue == "ORDER_NOT_APPROVED":  # the buyer has not approved it (yet)
                order = self.client.request("GET", f"/v2/checkout/orders/{order_id}")
                return self._result(order, ChargeStatus.REQUIRES_ACTION)
            if error.issue == "ORDER_ALREADY_CAPTURED":
                return self._result(self.client.request("GET", f"/v2/checkout/orders/{order_id}"))
            if error.issue in ("INSTRUMENT_DECLINED", "PAYER_ACTION_REQUIRED", "TRANSACTION_REFUSED"):
                raise CardError(error.message, error.issue.lower(), charge_processor_key=order_id) from None
            raise
        return self._result(order)

    def _result(self, order: Mapping[str, Any], status: ChargeStatus | None = None) -> PaymentResult:
        capture = _capture(order)
        amount, currency = _money((capture or {}).get("amount") or order["purchase_units"][0]["amount"])
        if status is None:
            paid = capture is not None and capture.get("status") == "COMPLETED"
            status = ChargeStatus.SUCCEEDED if paid else ChargeStatus.PENDING
        return PaymentResult(processor_key=str(order["id"]), amount=amount, currency=currency,
                             created_at=_time((capture or order).get("create_time")), status=status,
                             receipt=_receipt(order),
                             next_action=_approval(order) if status == ChargeStatus.REQUIRES_ACTION else None)

    @hookimpl
    def create_payment(self, request: PaymentRequest, reference: str | None) -> PaymentResult:
        """The page posted the order id (``token``): capture the order the
        core stored for this charge — a posted id naming another order is
        refused."""
        if not reference:
            raise ProcessorError("no PayPal order is stored for this charge: get_payment_context must run first")
        if request.token and request.token != reference:
            raise ProcessorError("the posted PayPal order is not this charge's order")
        return self._capture_order(reference, request.idempotency_key)

    @hookimpl
    def complete_payment(self, charge: ChargeRef, params: Mapping[str, str]) -> PaymentResult:
        """The buyer is back from PayPal. ``params["token"]`` only has to name
        this charge's order; PayPal's capture decides."""
        order_id = charge.reference or charge.processor_key
        if not order_id:
            raise ProcessorError("no PayPal order is stored for this charge")
        if params.get("token") and params["token"] != order_id:
            raise ProcessorError("the return names another PayPal order than this charge's")
        return self._capture_order(order_id, charge.idempotency_key)

    @hookimpl
    def retrieve_charge(self, charge: ChargeRef) -> ChargeInfo:
        order_id = charge.processor_key or charge.reference
        if not order_id:
            return ChargeInfo(processor_key=None, status=ChargeStatus.NOT_FOUND, idempotency_key=charge.idempotency_key)
        try:
            order = self.client.request("GET", f"/v2/checkout/orders/{order_id}")
        except NotFound:
            # PayPal deletes an order nobody approved 3 hours after it was
            # created: it can no longer be paid.
            return ChargeInfo(processor_key=order_id, status=ChargeStatus.CANCELED, failure_code="order_expired",
                              idempotency_key=charge.idempotency_key)
        capture = _capture(order)
        status = _STATUSES.get(str(order.get("status")), ChargeStatus.PENDING)
        if capture is not None and capture.get("status") in ("DECLINED", "FAILED"):
            status = ChargeStatus.FAILED
        amount, currency = _money((capture or {}).get("amount") or order["purchase_units"][0]["amount"])
        refunded = int((capture or {}).get("amount_refunded") or 0)
        return ChargeInfo(processor_key=str(order["id"]), status=status, amount=amount, currency=currency,
                          amount_refunded=refunded, created_at=_time(order.get("create_time")), receipt=_receipt(order),
                          next_action=_approval(order) if status == ChargeStatus.AWAITING_CUSTOMER else None,
                          idempotency_key=charge.idempotency_key)

    @hookimpl
    def refund_charge(self, charge: ChargeRef, amount: int, broker_amount: int, idempotency_key: str) -> RefundResult:
        order_id = charge.processor_key or charge.reference
        order = self.client.request("GET", f"/v2/checkout/orders/{order_id}")
        capture = _capture(order)
        if capture is None:
            raise ProcessorError(f"PayPal order {order_id} has no capture to refund")
        body = {"amount": {"currency_code": charge.currency.upper(), "value": str(to_major(amount, charge.currency))}}
        refund = self.client.request("POST", f"/v2/payments/captures/{capture['id']}/refund", json=body,
                                     request_id=idempotency_key)
        refunded, currency = _money(refund["amount"])
        return RefundResult(processor_key=str(refund["id"]), amount=refunded, currency=currency,
                            created_at=_time(refund.get("create_time")))

    # --- webhooks ---------------------------------------------------------------

    @hookimpl
    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Verify with PayPal, then read the order back: the event says what
        the order says now, not what the body claims."""
        assert self.settings is not None
        event = webhooks.verify(self.client, self.settings.WEBHOOK_ID, body, headers)
        kind, order_id = str(event.get("event_type")), webhooks.order_id_of(event)
        created = _time(event.get("create_time"))
        if kind not in ("PAYMENT.CAPTURE.COMPLETED", "CHECKOUT.ORDER.COMPLETED", "PAYMENT.CAPTURE.DENIED") \
                or not order_id:
            return WebhookEvent(event_id=str(event["id"]), type=EventType.IGNORED, created_at=created,
                                processor_type=kind)
        info = self.retrieve_charge(ChargeRef(
            processor_key=order_id, amount=0, currency="", idempotency_key="", created_at=created,
            customer=Party("-"), provider=Party("-"), broker=Party("-")))
        types = {ChargeStatus.SUCCEEDED: EventType.CHARGE_SUCCEEDED, ChargeStatus.FAILED: EventType.CHARGE_FAILED,
                 ChargeStatus.CANCELED: EventType.CHARGE_CANCELED}
        return WebhookEvent(event_id=str(event["id"]), type=types.get(info.status, EventType.IGNORED),
                            created_at=created, charge_processor_key=order_id,
                            amount=info.amount if info.status == ChargeStatus.SUCCEEDED else None,
                            currency=info.currency or None, processor_type=kind)
