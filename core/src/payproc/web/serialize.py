"""payproc's records as JSON: amounts stay integers in minor units, next to
their currency and a ``display`` string for people."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.models import ChargeRow, LedgerRow, Profile, RefundRow
from ..ledger import BooksReport
from ..money import format_money
from ..types import CardInfo

__all__ = ["books_json", "card_json", "charge_json", "ledger_entries", "refund_json"]


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def charge_json(charge: ChargeRow) -> dict[str, Any]:
    return {
        "id": charge.id,
        "state": str(getattr(charge.state, "value", charge.state)),
        "amount": charge.amount,
        "currency": charge.currency,
        "display": format_money(charge.amount, charge.currency),
        "amount_refunded": charge.amount_refunded,
        "refunded_display": format_money(charge.amount_refunded, charge.currency),
        "processor_key": charge.processor_key,
        "idempotency_key": charge.idempotency_key,
        "failure_code": charge.failure_code,
        "next_action": charge.next_action,
        "needs_review": bool(charge.needs_review),
        "receipt": {
            "last4": charge.last4,
            "brand": charge.brand,
            "exp_date": _iso(charge.exp_date),
            "card_name": charge.card_name,
        },
        "created_at": _iso(charge.created_at),
    }


def refund_json(refund: RefundRow, currency: str) -> dict[str, Any]:
    return {
        "id": refund.id,
        "charge_id": refund.charge_id,
        "state": str(getattr(refund.state, "value", refund.state)),
        "amount": refund.amount,
        "currency": currency,
        "display": format_money(refund.amount, currency),
        "processor_key": refund.processor_key,
        "idempotency_key": refund.idempotency_key,
    }


def card_json(card: CardInfo | None) -> dict[str, Any] | None:
    if card is None:
        return None
    return {"last4": card.last4, "brand": card.brand, "exp_date": _iso(card.exp_date), "card_name": card.card_name}


def books_json(report: BooksReport, balances: dict[tuple[str, str, str], int]) -> dict[str, Any]:
    return {
        "balanced": report.balanced,
        "problems": list(report.problems),
        "balances": [
            {"profile": slug, "account": account, "amount": amount, "currency": unit,
             "display": format_money(amount, unit)}
            for (slug, account, unit), amount in sorted(balances.items())
            if amount
        ],
    }


def ledger_entries(session: Session, limit: int) -> list[dict[str, Any]]:
    """The latest ``limit`` double-entry rows, newest first."""
    slugs = {profile_id: slug for profile_id, slug in session.execute(select(Profile.id, Profile.slug))}
    rows = session.scalars(select(LedgerRow).order_by(LedgerRow.id.desc()).limit(limit)).all()
    return [
        {
            "id": row.id,
            "created_at": _iso(row.created_at),
            "descr": row.descr,
            "charge_id": row.charge_id,
            "orig": f"{slugs.get(row.orig_profile_id, row.orig_profile_id)}:{row.orig_account}",
            "dest": f"{slugs.get(row.dest_profile_id, row.dest_profile_id)}:{row.dest_account}",
            "amount": row.dest_amount,
            "currency": row.dest_unit,
            "display": format_money(row.dest_amount, row.dest_unit),
        }
        for row in rows
    ]
