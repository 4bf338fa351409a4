"""What the conformance suite needs from a backend's test set-up.

A backend distribution's tests provide one object that satisfies
:class:`BackendHarness` (through the ``payproc_harness`` fixture). It plays the
parts the suite cannot play by itself: the browser (turning a payment context
into a token, as the processor's JavaScript would), the processor's webhook
sender, and an independent "backdoor" view of the processor's server so the
suite checks results without trusting the backend under test.

Besides the required members below, a harness may define:

``currency`` (str, default ``"usd"``)
    The currency the suite pays in (lower-case ISO 4217): ``"inr"`` for a
    processor that only takes rupees.
``limitations`` (mapping, default empty)
    What the harness or the processor's test server cannot simulate, each
    with the reason, from :data:`payproc.testing.requirements.FEATURES`
    (``{"stale_webhook": "Razorpay signs no timestamp"}``). Tests that need
    it skip with that reason; a name that is not a feature fails the suite
    (a misspelt limitation would otherwise skip nothing, silently). A limitation is about the *test set-up*; what
    the *backend* does not do is said by leaving the hook out of
    ``capabilities``.
``complete_pending()``
    Let the test server finish what the processor does later on its own (a
    delayed debit of a card on file): the suite calls it, then settles, for
    a charge on the card on file that is still in progress.
``lose_next_answer(operation)``
    Make the processor carry out the next ``operation`` (``"refund"``:
    ``refund_charge``; ``"transfer"``: ``create_transfer``) and lose its
    answer (a timeout), so the suite checks that it is settled by asking the
    processor (``retrieve_refund``, ``retrieve_transfer``). Without it those
    tests skip, saying so.
``challenge(charge_processor_key, next_action, *, outcome="success")`` (returns a mapping of strings)
    Stage customer action (feature ``customer_action``): for a payment
    that ``pay(outcome="challenge")`` made and the processor answered
    ``requires_action`` for, do what the customer does on the processor's
    page (the 3-D Secure challenge, the approval) so that it ends in
    ``outcome`` (``"success"`` or ``"fail"``), and return the params the
    customer's return carries back (query fields of the return URL, or what
    the processor's script answers). It must not tell the application
    anything itself: the core learns the outcome from the return
    (``complete``) or the processor's webhook.
``provider_keys()`` (returns :class:`~payproc.types.ProcessorKeys`)
    The processor keys of the marketplace provider the suite pays (a
    connected account), when the backend needs one to pay a provider that is
    not the broker or to pay out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from ..types import EventType, PaymentContext

__all__ = ["PROCESSOR_CHARGE_KEYS", "BackendHarness"]

#: Keys every mapping :meth:`BackendHarness.processor_charges` returns must
#: have, normalized: ``id`` (the processor key), ``amount`` (minor units),
#: ``currency`` (ISO 4217, any case), ``status`` (``"succeeded"``,
#: ``"failed"`` or ``"pending"``; the processor's own words ``captured``,
#: ``successful``, ``paid`` are read as ``"succeeded"``) and
#: ``amount_refunded`` (minor units). Other keys are free.
PROCESSOR_CHARGE_KEYS = ("id", "amount", "currency", "status", "amount_refunded")


@runtime_checkable
class BackendHarness(Protocol):
    #: Entry-point name (or ``module:Class``) of the backend under test.
    backend: str
    #: The backend hooks this backend declares it implements; the suite fails
    #: if they differ from its hookimpls.
    capabilities: frozenset[str]

    def processor_settings(self) -> Mapping[str, Any]:
        """The ``PROCESSOR`` settings section pointing at the test server
        (keys, ``WEBHOOK_SECRET``, ``API_BASE``…)."""
        ...

    def pay(self, context: PaymentContext, amount: int, currency: str, *, outcome: str = "success") -> tuple[str, Mapping[str, str]]:
        """Do what the browser and the processor's JavaScript do with
        ``context``: return the token and any other browser fields to post.

        ``outcome`` is ``"success"``, ``"decline"`` (the payment must end in
        :class:`~payproc.errors.CardError`), ``"challenge"`` (the processor
        answers ``requires_action``: see ``challenge``) or ``"unknown"`` (the processor
        makes the charge but the answer is lost: a timeout). The ``unknown``
        outcome applies to the first ``create_payment`` call with that token;
        a retry of the same charge gets the processor's answer.
        """
        ...

    def card_token(self, *, outcome: str = "success") -> str:
        """A token that stores a card on file (``create_or_update_card``);
        ``outcome="decline"`` gives one the processor refuses to store."""
        ...

    def webhook(
        self,
        type: EventType,
        charge_processor_key: str,
        *,
        amount: int | None = None,
        currency: str | None = None,
        event_id: str | None = None,
        secret: str | None = None,
        timestamp: int | None = None,
    ) -> tuple[bytes, Mapping[str, str]]:
        """A callback the processor would send for ``type`` about the charge,
        signed with the configured secret (or ``secret`` to forge one, or at
        ``timestamp`` to make it stale where the processor signs time).
        With ``event_id``, the event carries that id (redeliveries)."""
        ...

    def processor_charges(self, idempotency_key: str | None = None) -> list[Mapping[str, Any]]:
        """Backdoor: the charges the processor's server holds (optionally only
        those made with ``idempotency_key``), with at least the keys of
        :data:`PROCESSOR_CHARGE_KEYS`."""
        ...
