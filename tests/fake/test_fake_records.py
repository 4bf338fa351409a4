"""The fake's answers are copies: what the processor changes later (a
refund, a dispute's outcome, the card) never reaches an answer already
given, as with a real processor's JSON."""

from __future__ import annotations

import copy
from dataclasses import asdict
from datetime import date, datetime, timezone

from payproc_fake.records import Card, Charge, Dispute, Refund

AT = datetime(2026, 1, 2, tzinfo=timezone.utc)


def test_a_copied_charge_shares_nothing_mutable_with_the_record() -> None:
    charge = Charge(id="ch_1", amount=2000, currency="usd", status="succeeded", created=AT, idempotency_key="k",
                    source="tok_visa", metadata={"order": "1"},
                    card=Card(last4="4242", brand="Visa", exp_date=date(2030, 1, 1), name="A"),
                    refunds=[Refund(id="re_1", charge="ch_1", amount=100, currency="usd", created=AT)],
                    disputes=[Dispute(id="dp_1", charge="ch_1", amount=500, created=AT)])
    answered = copy.deepcopy(charge)
    before = asdict(answered)
    assert before == asdict(charge)

    charge.metadata["order"] = "2"
    charge.card.last4 = "0000"  # type: ignore[union-attr]
    charge.refunds.append(Refund(id="re_2", charge="ch_1", amount=50, currency="usd", created=AT))
    charge.refunds[0].status = "failed"
    charge.disputes[0].status = "lost"
    charge.amount_refunded = 150

    assert asdict(answered) == before
    assert copy.deepcopy(Charge(id="ch_2", amount=1, currency="usd", status="failed", created=AT,
                                idempotency_key=None, source="tok")).card is None
