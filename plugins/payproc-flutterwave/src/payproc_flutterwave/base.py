"""What the v3 and the legacy v2 backends do alike, written once: the
``tx_ref`` of a charge, the fee split and the webhook handling. Each
backend says how it finds a transaction (:meth:`FlutterwaveBase._verify`,
:meth:`FlutterwaveBase._transaction`) and which of its fields is the
charge's processor key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from payproc import hookimpl
from payproc.errors import ProcessorError, WebhookVerificationError

if TYPE_CHECKING:
    from payproc.types import ChargeRef, Distribution, WebhookEvent

    from .transaction import Transaction

__all__ = ["FlutterwaveBase"]


class FlutterwaveBase:
    """Hooks shared by :class:`~.backend.FlutterwaveBackend` and
    :class:`~.legacy.backend.FlutterwaveV2Backend`."""

    _settings: Any = None

    @property
    def settings(self) -> Any:
        if self._settings is None:
            raise ProcessorError("the Flutterwave backend is not configured")
        return self._settings

    def _verify(self, tx_ref: str) -> Transaction:
        """The transaction Flutterwave holds under ``tx_ref``."""
        raise NotImplementedError

    def _transaction(self, charge: ChargeRef) -> Transaction:
        """The transaction of a charge the core knows."""
        return self._verify(self._tx_ref(charge))

    @staticmethod
    def _processor_key(transaction: Transaction) -> str | None:
        """Which of the transaction's identifiers payproc keeps."""
        raise NotImplementedError

    @property
    def _livemode(self) -> bool:
        raise NotImplementedError

    @staticmethod
    def _tx_ref(charge: ChargeRef) -> str:
        """The charge's ``tx_ref``: the one the core stored from the payment
        context (``reference``), else derived again from the idempotency key
        (charges stored before the core kept references). The stored one
        stays right whatever made it: a context without an idempotency key
        (random ``tx_ref``) or a future change of :func:`.refs.tx_ref_for`."""
        from .refs import tx_ref_for

        return charge.reference or tx_ref_for(charge.idempotency_key)

    @hookimpl
    def charge_distribution(self, charge: ChargeRef, refunded: int) -> Distribution:
        """The provider gets what is left less Flutterwave's fees as the
        transaction reports them (:func:`.outcome.distribution`)."""
        from .outcome import distribution
        from .transaction import TransactionNotFound

        transaction = None
        if charge.amount - refunded > 0:
            try:
                transaction = self._transaction(charge)
            except TransactionNotFound as error:
                raise ProcessorError(f"Flutterwave has no transaction for charge {charge.processor_key}") from error
        return distribution(transaction, charge.amount, refunded, charge.currency)

    @hookimpl
    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """``verif-hash`` first (constant time, fail closed), then the API's
        word on the transaction the body names: the header is a fixed shared
        secret and proves nothing about the body."""
        from .transaction import TransactionNotFound
        from .webhooks import (
            charge_event,
            check_verif_hash,
            ignored_event,
            read_delivery,
        )

        check_verif_hash(headers, self.settings.WEBHOOK_SECRET)
        delivery = read_delivery(body)
        if not delivery.tx_ref:  # transfers, bills…: not about a charge of ours
            return ignored_event(delivery)
        try:
            transaction = self._verify(delivery.tx_ref)
        except TransactionNotFound:
            raise WebhookVerificationError(
                f"Flutterwave's API knows no transaction {delivery.tx_ref}: the webhook is not genuine"
            ) from None
        return charge_event(transaction, delivery, self._processor_key(transaction), livemode=self._livemode)
