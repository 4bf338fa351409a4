"""Setting, reading and canceling one customer's renewal through the public
API; the batch then charges what was set."""

from __future__ import annotations

from datetime import date

import pytest
from payproc.errors import InvalidAmount, InvalidInput, UnknownCurrency
from payproc.renewals import run_renewals

TODAY = date(2024, 3, 31)  # as conftest.py


def test_set_show_cancel_and_the_batch_charges_what_was_set(app, add_customers):
    (slug,) = add_customers(1, amount=999)  # a card on file and an old renewal
    renewal = app.set_renewal(slug, 2500, "USD", TODAY)
    assert (renewal.amount, renewal.currency, renewal.due, renewal.attempts, renewal.has_card) == (
        2500, "usd", TODAY, 0, True)
    assert app.renewal(slug) == renewal
    assert str(renewal) == f"{slug}: 25.00 USD due {TODAY.isoformat()}"
    summary = run_renewals(app, today=TODAY, progress=False)
    assert (summary.charged, dict(summary.amounts)) == (1, {"usd": 2500})
    assert app.renewal(slug).due == date(2024, 4, 30)
    assert app.cancel_renewal(slug).amount == 2500
    assert app.renewal(slug) is None
    assert app.cancel_renewal(slug) is None
    assert run_renewals(app, today=date(2024, 12, 31), progress=False).total == 0
    assert app.retrieve_card(slug) is not None  # canceling keeps the card


@pytest.mark.parametrize(("args", "error"), [
    (("nobody", 1500, "usd", TODAY), InvalidInput),
    (("cust0000", 0, "usd", TODAY), InvalidAmount),
    (("cust0000", 15.0, "usd", TODAY), InvalidAmount),
    (("cust0000", 1500, "usdollar", TODAY), UnknownCurrency),
    (("cust0000", 1500, "usd", "2024-03-31"), TypeError),
])
def test_bad_input_changes_nothing(app, add_customers, args, error):
    add_customers(1, amount=1200)
    before = app.renewal("cust0000")
    with pytest.raises(error):
        app.set_renewal(*args)
    assert app.renewal("cust0000") == before
