"""Batch renewals: who is charged, what a rerun does after an interruption,
how declines are counted, and that the rate limit spaces charges out.

No test reads a wall clock: the rate limit is checked on the token bucket's
own (fake) clock, and everything else by counting charges at the processor
(its backdoor) and in the database.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from payproc import hookimpl
from payproc.app import Payproc
from payproc.db import ChargeRow, Profile
from payproc.renewals import TokenBucket, next_due, renewal_key, run_renewals
from payproc_fake import processor
from sqlalchemy import select

#: the ``due`` date conftest's ``add_customers`` gives by default
TODAY = date(2024, 3, 31)


class Crash(BaseException):
    """Stands for the process dying (like KeyboardInterrupt, not an Exception)."""


class FakeClock:
    """Time that passes only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def profiles(app: Payproc) -> dict[str, Profile]:
    with app.db.transaction() as session:
        return {p.slug: p for p in session.scalars(select(Profile))}


def processor_charges_per_customer(app: Payproc, account: processor.Account) -> Counter[int]:
    """How many charges the processor made for each profile id (from the
    idempotency keys it received)."""
    counts: Counter[int] = Counter()
    for charge in account.list_charges():
        if charge["status"] == "succeeded":
            counts[int(charge["idempotency_key"].split("_")[1])] += 1
    return counts


def test_charges_every_due_customer_once_and_advances_the_due_date(
    app: Payproc, add_customers: Callable[..., list[str]], account: processor.Account
) -> None:
    due = add_customers(5)
    add_customers(1, prefix="later", due=next_due(TODAY))
    add_customers(1, prefix="nocard", token=None)

    summary = run_renewals(app, today=TODAY, concurrency=3, rate_limit=1000, progress=False)

    assert (summary.charged, summary.declined, summary.unknown, summary.skipped, summary.failed) == (5, 0, 0, 1, 0)
    assert summary.amounts == {"usd": 5 * 1500}
    found = profiles(app)
    for slug in due:
        assert found[slug].renewal_due == next_due(TODAY) == TODAY.replace(month=4, day=30)
        assert found[slug].nb_renewal_attempts == 0
    assert found["later0000"].renewal_due == next_due(TODAY)  # not due: untouched
    assert found["nocard0000"].renewal_due == TODAY
    assert sorted(processor_charges_per_customer(app, account).values()) == [1] * 5
    assert app.check_books().balanced
    # Nothing is due any more: a second run charges nobody.
    again = run_renewals(app, today=TODAY, concurrency=3, rate_limit=1000, progress=False)
    assert (again.charged, again.total) == (0, 1)  # the customer without a card, skipped again
    assert sum(processor_charges_per_customer(app, account).values()) == 5


def test_interrupted_batch_rerun_charges_nobody_twice(
    make_app: Callable[..., Payproc], add_customers: Callable[..., list[str]], account: processor.Account
) -> None:
    """The process dies right after the 7th charge is recorded (before the
    due date moves): the rerun charges everyone left, and nobody twice."""
    slugs = add_customers(20)
    done = []

    class CrashAfterSeven:
        @hookimpl
        def charge_updated(self, charge: Any, state: str, previous_state: str | None) -> None:
            done.append(charge.idempotency_key)
            if len(done) == 7:
                raise Crash

    crashing = make_app(observers=(("crash", CrashAfterSeven()),))
    with pytest.raises(Crash):
        run_renewals(crashing, today=TODAY, concurrency=4, rate_limit=1000, progress=False)
    charged_before = sum(processor_charges_per_customer(crashing, account).values())
    assert 7 <= charged_before < 20  # in-flight charges finished, the rest never started

    summary = run_renewals(make_app(), today=TODAY, concurrency=4, rate_limit=1000, progress=False)

    app = make_app()
    per_customer = processor_charges_per_customer(app, account)
    assert len(per_customer) == 20 and set(per_customer.values()) == {1}
    with app.db.transaction() as session:
        states = Counter(session.scalars(select(ChargeRow.state)))
    assert states == {"done": 20}
    # the rerun reports the crashed charge (recorded, due date not moved) as charged
    assert summary.charged == 20 - charged_before + 1
    assert {p.renewal_due for slug, p in profiles(app).items() if slug in slugs} == {next_due(TODAY)}
    assert app.check_books().balanced


def test_lost_answer_stays_unknown_then_the_rerun_settles_it_without_a_second_charge(
    app: Payproc, add_customers: Callable[..., list[str]], account: processor.Account
) -> None:
    add_customers(3)
    account.fail_next("timeout", operation="create_charge")  # charged, answer lost

    first = run_renewals(app, today=TODAY, concurrency=1, rate_limit=1000, progress=False)
    assert (first.charged, first.unknown) == (2, 1)
    unknown = [p for p in profiles(app).values() if p.renewal_due == TODAY]
    assert len(unknown) == 1 and unknown[0].nb_renewal_attempts == 0

    second = run_renewals(app, today=TODAY, concurrency=1, rate_limit=1000, progress=False)
    assert (second.charged, second.total) == (1, 1)
    assert sorted(processor_charges_per_customer(app, account).values()) == [1, 1, 1]
    # the rerun reused the key and asked the processor first: the lost
    # charge is booked, nothing is sent again
    assert account.requests.count("create_charge") == 3
    assert account.requests.count("retrieve_charge") == 1


def test_declines_are_counted_once_per_attempt_until_the_last(
    make_app: Callable[..., Payproc], add_customers: Callable[..., list[str]], account: processor.Account
) -> None:
    notices: list[tuple[str, bool]] = []

    class Dunning:
        @hookimpl
        def renewal_charge_failed(self, customer: Any, amount: int, currency: str, final_notice: bool) -> None:
            notices.append((customer.slug, final_notice))

    app = make_app(observers=(("dunning", Dunning()),))
    add_customers(2, token="tok_visa_chargeDeclined", prefix="bad")
    add_customers(3, prefix="good")

    runs = [run_renewals(app, today=TODAY, concurrency=2, rate_limit=1000, progress=False) for _ in range(4)]

    assert [(r.charged, r.declined) for r in runs] == [(3, 2), (0, 2), (0, 2), (0, 0)]
    found = profiles(app)
    assert found["bad0000"].nb_renewal_attempts == found["bad0001"].nb_renewal_attempts == 3
    assert found["bad0000"].renewal_due == TODAY  # not paid: not advanced
    assert sorted(notices) == sorted([(s, final) for s in ("bad0000", "bad0001")
                                      for final in (False, False, True)])
    with app.db.transaction() as session:
        failed = session.scalars(select(ChargeRow).where(ChargeRow.state == "failed")).all()
    assert len(failed) == 6 and {c.failure_code for c in failed} == {"card_declined"}


def test_a_decline_recorded_before_an_interruption_is_counted_once(
    app: Payproc, add_customers: Callable[..., list[str]], account: processor.Account
) -> None:
    """The batch died after the decline was recorded but before the attempt
    was counted: the rerun finds the failed charge by its key, counts it,
    and does not ask the processor again."""
    (slug,) = add_customers(1, token="tok_visa_chargeDeclined")
    profile = profiles(app)[slug]
    with pytest.raises(Exception, match="declined"):
        app.checkout(slug, 1500, "usd", idempotency_key=renewal_key(profile.id, TODAY, 0))
    requests_before = account.requests.count("create_charge")

    summary = run_renewals(app, today=TODAY, concurrency=1, rate_limit=1000, progress=False)

    assert (summary.declined, summary.total) == (1, 1)
    assert profiles(app)[slug].nb_renewal_attempts == 1
    assert account.requests.count("create_charge") == requests_before


def test_token_bucket_spaces_grants_on_its_clock() -> None:
    clock = FakeClock()
    bucket = TokenBucket(4, burst=2, clock=clock, sleep=clock.sleep)
    grants = []
    for _ in range(10):
        bucket.acquire()
        grants.append(clock())
    # two at once (the burst), then one every 1/4 s
    assert grants == pytest.approx([0, 0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0])


def test_rate_limit_each_charge_waits_for_its_token(
    app: Payproc, add_customers: Callable[..., list[str]], account: processor.Account
) -> None:
    add_customers(12)
    clock = FakeClock()
    bucket = TokenBucket(5, clock=clock, sleep=clock.sleep)
    seen: list[tuple[float, int]] = []

    class Recording:
        def acquire(self) -> None:
            bucket.acquire()
            seen.append((clock(), account.requests.count("create_charge")))

    summary = run_renewals(app, today=TODAY, concurrency=1, limiter=Recording(), progress=False)

    assert summary.charged == 12
    # the i-th token is granted at i/5 s, and before it the processor saw i charges
    assert seen == [(pytest.approx(i / 5), i) for i in range(12)]


def test_rate_limit_holds_with_concurrent_workers(
    app: Payproc, add_customers: Callable[..., list[str]], account: processor.Account
) -> None:
    add_customers(30)
    clock = FakeClock()
    bucket = TokenBucket(10, clock=clock, sleep=clock.sleep)
    grants = Counter[str]()

    class Counting:
        def acquire(self) -> None:
            bucket.acquire()
            grants["n"] += 1

    summary = run_renewals(app, today=TODAY, concurrency=4, limiter=Counting(), progress=False)

    assert summary.charged == 30 == grants["n"] == account.requests.count("create_charge")
    assert clock() >= 29 / 10 - 1e-9  # 30 tokens at 10/s take 2.9 s of the bucket's time


def test_rate_limit_and_concurrency_default_to_settings(
    make_app: Callable[..., Payproc], add_customers: Callable[..., list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from payproc import renewals

    app = make_app(CONCURRENCY=3, RATE_LIMIT=7.5)
    built: list[tuple[float, int]] = []
    workers: list[int] = []

    class Spy(TokenBucket):
        def __init__(self, rate: float, burst: int = 1, **kw: Any) -> None:
            built.append((rate, burst))
            super().__init__(1000, burst)

    class Pool(renewals.ThreadPoolExecutor):
        def __init__(self, max_workers: int, **kw: Any) -> None:
            workers.append(max_workers)
            super().__init__(max_workers, **kw)

    monkeypatch.setattr(renewals, "TokenBucket", Spy)
    monkeypatch.setattr(renewals, "ThreadPoolExecutor", Pool)
    run_renewals(app, today=TODAY, progress=False)
    assert built == [(7.5, 1)] and workers == [3]


def test_progress_bar_and_summary_text(
    app: Payproc, add_customers: Callable[..., list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    add_customers(2)
    summary = run_renewals(app, today=TODAY, concurrency=2, rate_limit=1000, progress=True)
    assert "2/2" in capsys.readouterr().err
    assert str(summary).startswith("2 charged (30.00 USD), 0 declined, 0 unknown, 0 skipped, 0 failed")


def test_next_due_keeps_the_day_or_clamps_to_the_month_end() -> None:
    assert next_due(date(2024, 1, 15)) == date(2024, 2, 15)
    assert next_due(date(2024, 1, 31)) == date(2024, 2, 29)
    assert next_due(date(2023, 12, 31)) == date(2024, 1, 31)
