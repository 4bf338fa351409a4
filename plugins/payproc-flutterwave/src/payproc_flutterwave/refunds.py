"""Refunds on Flutterwave v3, never twice.

``POST /v3/transactions/{id}/refund`` takes no idempotency key. So every
refund carries a tag derived from payproc's refund key in its ``comments``
(:func:`.refs.refund_tag_for`), and before a refund is sent the refunds
Flutterwave already holds for the transaction are searched for that tag
(``GET /v3/refunds``, paged, from the charge's day): a retry of a refund
whose answer was lost finds the first one and sends nothing. The same
search answers ``retrieve_refund`` when the core settles a lost answer.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from payproc.errors import IntegrityMismatch, OutcomeUnknown, ProcessorError

if TYPE_CHECKING:
    from payproc.types import ChargeRef, RefundInfo, RefundRef, RefundResult

    from .client import FlutterwaveAPI
    from .records import RefundRecord

__all__ = ["MAX_PAGES", "find_refund", "refund", "refund_info"]

#: How many pages of ``GET /v3/refunds`` a look-up reads before giving up
#: (an unknown outcome, never "not found").
MAX_PAGES = 50


def _day(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).date().isoformat()


def find_refund(api: FlutterwaveAPI, charge: ChargeRef, tag: str, refund_id: str | None = None) -> RefundRecord | None:
    """The refund of ``charge`` tagged ``tag`` (or whose id is ``refund_id``,
    when payproc knows it), or ``None`` when Flutterwave lists none (every
    page read)."""
    from .records import refund_from_data

    if not charge.processor_key:
        return None
    params = {
        "from": _day(charge.created_at - timedelta(days=1)),
        "to": _day(datetime.now(timezone.utc) + timedelta(days=1)),
        "currency": charge.currency.upper(),
    }
    for page in range(1, MAX_PAGES + 1):
        envelope = api.call("GET", "v3/refunds", f"look up the refunds of {charge.processor_key}",
                            params={**params, "page": str(page)})
        items = envelope.get("data")
        if not isinstance(items, list):
            raise OutcomeUnknown("Flutterwave's refund list carries no data")
        for item in items:
            if isinstance(item, dict):
                record = refund_from_data(item)
                mine = tag in record.comments or (refund_id is not None and record.id == refund_id)
                if record.transaction_id == charge.processor_key and mine:
                    return record
        meta = envelope.get("meta")
        info = meta.get("page_info") if isinstance(meta, dict) else None
        if not isinstance(info, dict) or int(info.get("current_page") or page) >= int(info.get("total_pages") or 1):
            return None
    raise OutcomeUnknown(f"more than {MAX_PAGES} pages of refunds to search for {charge.processor_key}")


def _result(record: RefundRecord, charge: ChargeRef, amount: int) -> RefundResult:
    from payproc.money import to_major
    from payproc.types import RefundResult

    from .amounts import to_minor

    if record.failed:
        raise ProcessorError(f"Flutterwave's refund {record.id} of {charge.processor_key} failed")
    if to_minor(record.amount, charge.currency) != amount:
        raise IntegrityMismatch(
            f"Flutterwave refunded {record.amount} {charge.currency.upper()}, not {to_major(amount, charge.currency)}"
        )
    if not record.id:
        raise ProcessorError(f"Flutterwave's refund of {charge.processor_key} carries no id")
    return RefundResult(
        processor_key=record.id,
        amount=amount,
        currency=charge.currency.lower(),
        created_at=record.created or datetime.now(timezone.utc),
    )


def refund(api: FlutterwaveAPI, charge: ChargeRef, amount: int, idempotency_key: str) -> RefundResult:
    """Refund ``amount`` of ``charge`` once for ``idempotency_key``."""
    from payproc.money import to_major

    from .records import refund_from_data
    from .refs import refund_tag_for

    if not charge.processor_key:
        raise ProcessorError("cannot refund a charge Flutterwave never confirmed (no transaction id)")
    tag = refund_tag_for(idempotency_key)
    earlier = find_refund(api, charge, tag)
    if earlier is not None:
        return _result(earlier, charge, amount)
    envelope = api.call(
        "POST", f"v3/transactions/{charge.processor_key}/refund", f"refund transaction {charge.processor_key}",
        body={"amount": str(to_major(amount, charge.currency)), "comments": tag},
    )
    data = envelope.get("data")
    if not isinstance(data, dict):
        raise OutcomeUnknown(f"Flutterwave's answer to the refund of {charge.processor_key} carries no refund")
    return _result(refund_from_data(data), charge, amount)


def refund_info(api: FlutterwaveAPI, ref: RefundRef) -> RefundInfo:
    """What Flutterwave says of one refund payproc asked for."""
    from payproc.types import RefundInfo, RefundStatus

    from .amounts import to_minor
    from .refs import refund_tag_for

    charge = ref.charge
    record = find_refund(api, charge, refund_tag_for(ref.idempotency_key), ref.processor_key)
    if record is None:
        return RefundInfo(status=RefundStatus.NOT_FOUND, processor_key=ref.processor_key)
    status = RefundStatus.SUCCEEDED if record.succeeded else (
        RefundStatus.FAILED if record.failed else RefundStatus.PENDING)
    return RefundInfo(
        status=status,
        processor_key=record.id,
        amount=to_minor(record.amount, charge.currency) or 0,
        currency=charge.currency.lower(),
        created_at=record.created,
    )
