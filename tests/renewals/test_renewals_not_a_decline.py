"""Only the card's refusal is a decline: a renewal whose charge never
reached the processor (settled ``not_found`` after the answer was lost) uses
no attempt, sends no ``renewal_charge_failed``, and the next run charges it
once under the next key of the chain (issue 14, item 7)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from payproc import hookimpl
from payproc.app import Payproc
from payproc.db import ChargeRow, Profile
from payproc.renewals import renewal_key, run_renewals
from payproc_fake import processor
from sqlalchemy import select

#: the renewal fixtures' due date (tests/renewals/conftest.py); conftest
#: modules are not imported across test directories
TODAY = date(2024, 3, 31)


def test_a_renewal_that_never_reached_the_processor_is_not_a_decline(
    make_app: Callable[..., Payproc], add_customers: Callable[..., list[str]], account: processor.Account
) -> None:
    notices: list[Any] = []

    class Dunning:
        @hookimpl
        def renewal_charge_failed(self, customer: Any, amount: int, currency: str, final_notice: bool) -> None:
            notices.append(customer.slug)

    app = make_app(observers=(("dunning", Dunning()),))
    (slug,) = add_customers(1)
    account.fail_next("unreachable", operation="create_charge")  # the request never arrives
    first = run_renewals(app, today=TODAY, concurrency=1, rate_limit=1000, progress=False)
    assert (first.unknown, first.total) == (1, 1)
    report = app.settle()  # the processor has no such charge: failed, not_found
    assert [(c.state, c.failure_code) for c in report.charges] == [("failed", "not_found")]

    second = run_renewals(app, today=TODAY, concurrency=1, rate_limit=1000, progress=False)
    assert (second.charged, second.declined, second.total) == (1, 0, 1)
    assert notices == []
    with app.db.transaction() as session:
        profile = session.scalar(select(Profile).where(Profile.slug == slug))
        keys = dict(session.execute(select(ChargeRow.idempotency_key, ChargeRow.state)).all())
    assert profile is not None and profile.nb_renewal_attempts == 0
    base = renewal_key(profile.id, TODAY, 0)
    assert keys == {base: "failed", f"{base}_r1": "done"}
    assert len(account.list_charges(f"{base}_r1")) == 1 and account.list_charges(base) == []
    # a rerun finds the renewal done: no new charge
    third = run_renewals(app, today=TODAY, concurrency=1, rate_limit=1000, progress=False)
    assert third.total == 0 and len(account.list_charges()) == 1
    assert app.check_books().balanced

