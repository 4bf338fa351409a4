"""The card on file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

__all__ = ["CardInfo", "CardUpdate"]


@dataclass(frozen=True, slots=True)
class CardInfo:
    """The card on file, as shown to its owner."""

    last4: str | None = None
    exp_date: date | None = None
    card_name: str | None = None
    brand: str | None = None

    def masked(self) -> str:
        return f"***-{self.last4}" if self.last4 else ""


@dataclass(frozen=True, slots=True)
class CardUpdate:
    """Result of ``create_or_update_card``: the key to store as the
    subscriber's ``card_key`` and what the card looks like."""

    card_key: str
    card: CardInfo = field(default_factory=CardInfo)
