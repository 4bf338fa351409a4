"""The fake backend: every payproc backend hook, against the simulated
processor of :mod:`payproc_fake.processor`.

This is the model for a real backend. Each hook turns payproc's typed values
into a processor request, sends the charge's idempotency key unchanged, and
maps the processor's answers to payproc's errors in one place
(:meth:`FakeBackend._answers`):

* 402 (card declined) -> :class:`~payproc.errors.CardError` with the failed
  charge's id;
* 401/403 (bad or revoked key) -> :class:`~payproc.errors.ProcessorSetupError`
  naming the profile whose account it is;
* no answer, or 5xx -> :class:`~payproc.errors.OutcomeUnknown`, never a failure;
* any other 4xx -> :class:`~payproc.errors.ProcessorError`.

The test tokens are listed in the package docstring (``payproc_fake``) and
the README.

Importing this module is cheap on purpose (``payproc backends`` imports it to
read the hookimpl markers): the simulated processor, the settings model
(pydantic), payproc's types and the webhook code are imported by the methods
that use them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from payproc import hookimpl
from payproc.errors import (
    CardDataRefused,
    CardError,
    InvalidInput,
    OutcomeUnknown,
    ProcessorError,
    ProcessorSetupError,
)

from .backend_payouts import PayoutHooks

if TYPE_CHECKING:
    from payproc.types import (
        BrowserIntegration,
        CardInfo,
        CardUpdate,
        ChargeInfo,
        ChargeRef,
        CustomerRecord,
        Distribution,
        Party,
        PaymentContext,
        PaymentRequest,
        PaymentResult,
        Receipt,
        RefundInfo,
        RefundRef,
        RefundResult,
        WebhookEvent,
    )
    from pydantic import BaseModel

    from .processor import Account
    from .records import Card, Charge
    from .settings import FakeSettings

__all__ = ["FakeBackend"]

#: The checkout form field that carries the token (the seed's ``token_id``).
TOKEN_FIELD = "stripeToken"


def _receipt(card: Card | None) -> Receipt:
    from payproc.types import Receipt

    if card is None:
        return Receipt()
    return Receipt(last4=card.last4, exp_date=card.exp_date, card_name=card.name, brand=card.brand)


def _card_info(card: Card) -> CardInfo:
    from payproc.types import CardInfo

    return CardInfo(last4=card.last4, exp_date=card.exp_date, card_name=card.name, brand=card.brand)


def _charge_info(found: Charge, account: Account) -> ChargeInfo:
    """The processor's view of ``found``: a challenged charge is
    ``REQUIRES_ACTION`` with its next action, a cancelled one ``CANCELED``."""
    from payproc.types import ChargeInfo, ChargeStatus

    from . import actions

    status = {"succeeded": ChargeStatus.SUCCEEDED, "requires_action": ChargeStatus.REQUIRES_ACTION,
              "canceled": ChargeStatus.CANCELED}.get(found.status, ChargeStatus.FAILED)
    challenge = actions.challenge_for(account, found.id) if status == ChargeStatus.REQUIRES_ACTION else None
    return ChargeInfo(
        processor_key=found.id,
        status=status,
        next_action=actions.next_action(challenge, None) if challenge is not None else None,
        amount=found.amount,
        currency=found.currency,
        amount_refunded=found.amount_refunded,
        created_at=found.created,
        receipt=_receipt(found.card),
        failure_code=found.failure_code,
        failure_message=found.failure_message,
        disputed=found.disputed,
        idempotency_key=found.idempotency_key,
    )


def _refuse_card_number(token: str) -> None:
    from .tokens import looks_like_card_number

    if looks_like_card_number(token):
        raise CardDataRefused(
            "the payment token looks like a raw card number; payproc only accepts processor tokens "
            "(the value was neither sent nor stored)"
        )


class FakeBackend(PayoutHooks):
    """payproc backend for the fake processor (entry point ``fake``)."""

    name = "fake"
    contract = ">=1.0,<2"
    #: Callbacks carry an HMAC signature; a WEBHOOK_SECRET is required.
    webhook_verification = "signed"
    #: create_payment keeps the card on file with the payment (save_card).
    saves_card_with_payment = True
    #: Operations the fake does not offer, and why (``payproc backends`` shows it).
    unsupported: ClassVar[dict[str, str]] = {
        "capture_charge": "the fake processor captures every payment when it is made: it never leaves an "
                          "authorization to capture",
    }

    def __init__(self) -> None:
        from .settings import FakeSettings

        self.settings: FakeSettings = FakeSettings()

    def __repr__(self) -> str:
        return f"<FakeBackend account={self.settings.ACCOUNT!r}>"

    # --- plumbing -------------------------------------------------------------

    def _api(self) -> Account:
        """The processor account, after the simulated network latency."""
        from .processor import get_account

        if self.settings.LATENCY_MS:
            time.sleep(self.settings.LATENCY_MS / 1000)
        return get_account(self.settings.ACCOUNT)

    def _account(self) -> Account:
        """The processor account, for reading what a request just answered
        (no simulated latency: not a request of its own)."""
        from .processor import get_account

        return get_account(self.settings.ACCOUNT)

    @contextmanager
    def _answers(self, account_owner: str | None) -> Iterator[None]:
        """Map the processor's answers to payproc errors; ``account_owner``
        is the profile whose processor account a 401 is about."""
        from .processor import ApiError, NetworkFault

        try:
            yield
        except NetworkFault as fault:
            raise OutcomeUnknown(
                f"the fake processor gave no answer ({fault.kind}): the request may have taken effect",
                backend_except=fault,
            ) from None
        except ApiError as error:
            if error.status == 402:
                raise CardError(
                    error.message, error.code, charge_processor_key=error.charge, backend_except=error
                ) from None
            if error.status in (401, 403):
                raise ProcessorSetupError(
                    error.message, account_owner, revoked=error.code == "api_key_revoked", backend_except=error
                ) from None
            if error.status >= 500:
                raise OutcomeUnknown(
                    f"the fake processor failed ({error.status}): the request may have taken effect",
                    backend_except=error,
                ) from None
            raise ProcessorError(error.message, backend_except=error) from None

    # --- set-up ---------------------------------------------------------------

    @hookimpl
    def settings_model(self) -> type[BaseModel]:
        from .settings import FakeSettings

        return FakeSettings

    @hookimpl
    def configure(self, settings: FakeSettings) -> None:
        """``settings`` is the core's validated :class:`FakeSettings`."""
        from .processor import get_account

        self.settings = settings
        if settings.WEBHOOK_SECRET is not None:
            # Registering the endpoint: the processor now signs with it.
            get_account(settings.ACCOUNT).webhook_secret = settings.WEBHOOK_SECRET.get_secret_value()

    @hookimpl
    def browser_integration(self) -> BrowserIntegration:
        from payproc.types import BrowserIntegration

        # A relative URL: payproc.web serves this package's static/ folder
        # under backends/fake/ (the tokenizer never sends the card number).
        return BrowserIntegration(
            token_field=TOKEN_FIELD,
            script_urls=("backends/fake/tokenizer.js",),
            notes="static/tokenizer.js turns a test card number into a test token (4242… -> tok_visa, "
            "4000 0000 0000 0002 -> tok_decline) in the browser; the page posts it in the stripeToken field.",
        )

    # --- payments ---------------------------------------------------------------

    @hookimpl
    def get_payment_context(self, amount: int | None, currency: str | None) -> PaymentContext:
        from payproc.types import PaymentContext

        values: dict[str, Any] = {"FAKE_PUB_KEY": self.settings.PUB_KEY}
        if amount is not None:
            values["amount"] = amount
            values["currency"] = currency
        return PaymentContext(values=values, token_field=TOKEN_FIELD, reference=None)

    def _charge(self, request: PaymentRequest, source: str) -> PaymentResult:
        from payproc.types import ChargeStatus, PaymentResult

        from . import actions

        _refuse_card_number(source)
        with self._answers(request.provider.slug):
            charge: Charge = self._api().create_charge(
                amount=request.amount,
                currency=request.currency,
                source=source,
                idempotency_key=request.idempotency_key,
                provider=request.provider.slug,
                description=request.descr,
                statement_descriptor=(request.stmt_descr or request.provider.name)[:22],
                application_fee=request.broker_fee_amount,
                metadata=dict(request.metadata),
            )
        challenge = actions.challenge_for(self._account(), charge.id) if charge.status == "requires_action" else None
        return PaymentResult(
            processor_key=charge.id,
            amount=charge.amount,
            currency=charge.currency,
            created_at=charge.created,
            status=ChargeStatus.REQUIRES_ACTION if challenge is not None else ChargeStatus.SUCCEEDED,
            receipt=_receipt(charge.card),
            card_key=charge.customer,
            next_action=actions.next_action(challenge, request.return_url) if challenge is not None else None,
        )

    @hookimpl
    def create_payment(self, request: PaymentRequest) -> PaymentResult:
        if request.token and request.token.startswith("cus_") and request.token != request.customer.keys.card_key:
            # A browser token naming a saved card must be the payer's own:
            # else anyone who learns a customer id could charge that card.
            raise InvalidInput("the token names a card on file that is not this customer's: nothing was charged")
        source = request.token or request.customer.keys.card_key
        if not source:
            raise CardError("no payment token and no card on file", "card_absent")
        if request.save_card and request.token:
            # One payment that keeps the card: attach it to the customer,
            # then make the one charge on that customer's card.
            _refuse_card_number(request.token)
            with self._answers(request.broker.slug):
                customer = self._api().save_card(
                    request.token, customer_id=request.customer.keys.card_key,
                    description=request.customer.slug, email=request.customer.email)
            source = customer.id
        return self._charge(request, source)

    @hookimpl
    def create_charge(self, request: PaymentRequest) -> PaymentResult:
        card_key = request.customer.keys.card_key
        if not card_key:
            raise CardError(f"{request.customer.slug} has no card on file", "card_absent")
        return self._charge(request, card_key)

    @hookimpl
    def retrieve_charge(self, charge: ChargeRef) -> ChargeInfo:
        from payproc.types import ChargeInfo, ChargeStatus

        with self._answers(charge.provider.slug):
            api = self._api()
            if charge.processor_key:
                found = api.retrieve_charge(charge.processor_key)
            else:
                found = api.find_charge(charge.idempotency_key)
        if found is None:
            return ChargeInfo(processor_key=charge.processor_key, status=ChargeStatus.NOT_FOUND)
        return self._info(found)

    def _info(self, found: Charge) -> ChargeInfo:
        return _charge_info(found, self._account())

    @hookimpl
    def complete_payment(self, charge: ChargeRef, params: Mapping[str, str]) -> PaymentResult:
        """The customer is back from the challenge. With the code the page
        collected (``otp``), answer the challenge at the processor; then read
        the charge back from the processor: its status is the answer, never
        the params."""
        from payproc.types import ChargeStatus

        from . import actions

        if not charge.processor_key:
            raise ProcessorError("no charge was made for this payment at the fake processor")
        with self._answers(charge.provider.slug):
            api = self._api()
            challenge = actions.challenge_for(api, charge.processor_key)
            if params.get("otp") is not None and challenge is not None:
                actions.answer_challenge(api, challenge.id, params["otp"])
            found = api.retrieve_charge(charge.processor_key)
        if found is None:
            raise ProcessorError(f"the fake processor has no charge {charge.processor_key}")
        info = self._info(found)
        if info.status == ChargeStatus.FAILED:
            raise CardError(found.failure_message or "The payment failed.", found.failure_code or "card_declined",
                            charge_processor_key=found.id)
        from payproc.types import PaymentResult

        return PaymentResult(processor_key=found.id, amount=found.amount, currency=found.currency,
                             created_at=found.created, status=info.status, receipt=info.receipt,
                             next_action=info.next_action)

    @hookimpl
    def cancel_payment(self, charge: ChargeRef) -> ChargeInfo:
        from payproc.types import ChargeInfo, ChargeStatus

        from . import actions

        with self._answers(charge.provider.slug):
            found = actions.cancel(self._api(), charge_id=charge.processor_key, idempotency_key=charge.idempotency_key)
        if found is None:  # no charge was ever made: the key is closed
            return ChargeInfo(processor_key=None, status=ChargeStatus.CANCELED, idempotency_key=charge.idempotency_key)
        return self._info(found)

    @hookimpl
    def refund_charge(self, charge: ChargeRef, amount: int, broker_amount: int, idempotency_key: str) -> RefundResult:
        from payproc.types import RefundResult

        if not charge.processor_key:
            raise ProcessorError("cannot refund a charge the processor never answered for (no processor key)")
        with self._answers(charge.provider.slug):
            refund = self._api().refund(
                charge.processor_key, amount, broker_amount=broker_amount, idempotency_key=idempotency_key
            )
        return RefundResult(
            processor_key=refund.id,
            amount=refund.amount,
            currency=refund.currency,
            created_at=refund.created,
            broker_fee_refunded=refund.broker_amount,
        )

    @hookimpl
    def retrieve_refund(self, refund: RefundRef) -> RefundInfo:
        from payproc.types import RefundInfo, RefundStatus

        with self._answers(refund.charge.provider.slug):
            api = self._api()
            found = (api.retrieve_refund(refund.processor_key) if refund.processor_key
                     else api.retrieve_refund(idempotency_key=refund.idempotency_key))
        if found is None:
            return RefundInfo(status=RefundStatus.NOT_FOUND, processor_key=refund.processor_key)
        status = RefundStatus.SUCCEEDED if found.status == "succeeded" else RefundStatus.FAILED
        return RefundInfo(status=status, processor_key=found.id, amount=found.amount, currency=found.currency,
                          created_at=found.created)

    @hookimpl
    def list_payments(self, since: datetime, until: datetime) -> Sequence[ChargeInfo]:
        with self._answers(None):
            charges = self._api().list_payments(since, until)
        return [_charge_info(charge, self._account()) for charge in charges]

    @hookimpl
    def minimum_amount(self, currency: str) -> int:
        from .charging import minimum_amount

        return minimum_amount(currency)

    @hookimpl
    def charge_distribution(self, charge: ChargeRef, refunded: int, broker_fee_amount: int) -> Distribution:
        from payproc.types import Distribution

        from . import fees

        distribute, fee, broker = fees.split(charge.amount, refunded, broker_fee_amount)
        unit = charge.currency
        return Distribution(distribute, unit, fee, unit, broker, unit)

    @hookimpl
    def dispute_fee(self) -> int:
        from . import fees

        return fees.DISPUTE_FEE

    @hookimpl
    def prorate_transfer(self) -> int:
        return 0

    # --- the card on file --------------------------------------------------------

    @hookimpl
    def create_or_update_card(self, subscriber: Party, token: str, broker: Party) -> CardUpdate:
        from payproc.types import CardUpdate

        _refuse_card_number(token)
        # Cards live on the broker's processor account (as in the seed).
        with self._answers(broker.slug):
            customer = self._api().save_card(
                token, customer_id=subscriber.keys.card_key, description=subscriber.slug, email=subscriber.email
            )
        assert customer.card is not None
        return CardUpdate(card_key=customer.id, card=_card_info(customer.card))

    @hookimpl
    def delete_card(self, subscriber: Party, broker: Party) -> None:
        if subscriber.keys.card_key:
            with self._answers(broker.slug):
                self._api().detach_card(subscriber.keys.card_key)

    @hookimpl
    def retrieve_card(self, subscriber: Party, broker: Party) -> CardInfo | None:
        if not subscriber.keys.card_key:
            return None
        with self._answers(broker.slug):
            customer = self._api().retrieve_customer(subscriber.keys.card_key)
        if customer is None or customer.card is None:
            return None
        return _card_info(customer.card)

    @hookimpl
    def list_customers(self, pattern: str, broker: Party) -> Sequence[CustomerRecord]:
        from payproc.types import CustomerRecord

        try:
            re.compile(pattern)
        except re.error as error:
            raise InvalidInput(f"invalid customer pattern: {error}") from None
        with self._answers(broker.slug):
            customers = self._api().list_customers(pattern)
        return [CustomerRecord(c.id, c.description, c.email) for c in customers]

    # --- webhooks -------------------------------------------------------------------

    @hookimpl
    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        from . import webhooks

        lowered = {name.lower(): value for name, value in headers.items()}
        webhooks.verify(body, lowered, self.settings.WEBHOOK_SECRET)
        return webhooks.parse_event(body)
