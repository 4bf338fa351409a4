"""Who pays and who is paid: profiles as backends see them, and their processor keys."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import SecretStr

__all__ = ["CustomerRecord", "Party", "ProcessorKeys"]


@dataclass(frozen=True, slots=True)
class ProcessorKeys:
    """A profile's identifiers on the processor.

    ``card_key`` is the customer (or token) that holds the card on file,
    ``deposit_key`` the connected account that receives payouts; ``pub_key``,
    ``priv_key`` and ``refresh_token`` are a connected account's own keys
    (Stripe Connect OAuth).
    """

    card_key: str | None = None
    deposit_key: str | None = None
    pub_key: str | None = None
    priv_key: SecretStr | None = None
    refresh_token: SecretStr | None = None


@dataclass(frozen=True, slots=True)
class Party:
    """Snapshot of a profile (an organization) in one role of a payment:
    subscriber (who pays), provider (who sells), broker (who runs the
    marketplace)."""

    slug: str
    printable_name: str = ""
    email: str | None = None
    keys: ProcessorKeys = field(default_factory=ProcessorKeys)
    is_broker: bool = False
    #: E.164 (``+919876543210``), validated by the core; some processors
    #: require it for recurring payments (Razorpay's ``contact``). (1.1)
    phone: str | None = None

    @property
    def name(self) -> str:
        return self.printable_name or self.slug


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    """A customer on the processor (``list_customers``)."""

    processor_key: str
    description: str = ""
    email: str | None = None
