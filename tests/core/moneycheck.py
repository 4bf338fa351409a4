"""What the money-safety tests compare before and after an operation: row
counts of every table that records money, and the balances (a module with a
unique name, so test directories' conftests never shadow it)."""

from __future__ import annotations

import sys
import types
from typing import Any

from sqlalchemy import func, select

from payproc.app import Payproc
from payproc.db import ChargeRow, DisputeRow, LedgerRow, RefundRow, TransferRow


def counts(app: Payproc) -> dict[str, int]:
    with app.db.transaction() as session:
        return {model.__name__: int(session.scalar(select(func.count()).select_from(model)) or 0)
                for model in (ChargeRow, RefundRow, LedgerRow, TransferRow, DisputeRow)}


def state(app: Payproc) -> tuple[dict[str, int], dict[tuple[str, str, str], int], list[tuple[Any, ...]]]:
    """Everything an operation that must change nothing could change."""
    charges = [(c.id, c.state, c.amount_refunded) for c in app.list_charges(limit=1000)]
    return counts(app), app.balances(), charges


def account_of(app: Payproc) -> Any:
    from payproc_fake import processor

    return processor.get_account(app.backend.settings.ACCOUNT)  # type: ignore[attr-defined]


def processor_refunded(app: Payproc, charge: ChargeRow) -> int:
    return int(account_of(app).retrieve_charge(charge.processor_key).amount_refunded)


def backend_module(name: str, cls: type) -> str:
    """Register ``cls`` in a module of its own; returns ``module:Class`` for
    the ``BACKEND`` setting."""
    module = types.ModuleType(name)
    setattr(module, cls.__name__, cls)
    sys.modules[name] = module
    return f"{name}:{cls.__name__}"
