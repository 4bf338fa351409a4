"""Random sequences of checkouts, refunds (their answers sometimes lost),
disputes (several per charge, inquiries), payouts (answers lost, returned by
the bank), webhooks (duplicated, reordered, forged), timeouts, crashes and
restarts on the fake backend, with the invariants checked after every step:
money is never lost, doubled or invented; and, once everything is delivered
and settled, the core's captured, refunded and paid-out totals equal the
processor's."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from datetime import timedelta

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from payproc_fake import processor
from payproc_fake.webhooks import build_event
from relsupport import WEBHOOK_SECRET, make_app, restart
from sqlalchemy import func, select

import payproc.flows._common
import payproc.flows.checkout
from payproc.db import ChargeRow, DisputeRow, LedgerRow, RefundRow, TransferRow, WebhookEventRow
from payproc.errors import (
    CardError,
    InvalidInput,
    InvalidStateTransition,
    OutcomeUnknown,
    ProcessorError,
    RefundExceedsRemaining,
    WebhookVerificationError,
)
from payproc.flows.checkout import LEASE
from payproc.types import EventType

#: Where a charge may go from each state in one step (staying put is always
#: allowed). A dispute's closing event delivered before its opening one
#: opens and closes it at once: done -> lost.
ALLOWED = {
    "created": {"done", "failed", "disputed", "lost"},
    "done": {"disputed", "lost"},
    "disputed": {"done", "lost"},
    "failed": set(),
    "lost": set(),
}
TOKENS = ["tok_visa", "tok_visa", "tok_decline", "tok_timeout", "tok_unreachable"]


class Crash(RuntimeError):
    pass


class Payments(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.mkdtemp(prefix="payproc-rel-")
        self.app = make_app(f"sqlite:///{self.folder}/s.sqlite3", account=f"acct_st_{uuid.uuid4().hex[:10]}")
        self.account = processor.get_account(self.app.backend.settings.ACCOUNT)
        self.keys: list[str] = []
        self.refund_keys: list[str] = []
        self.payout_keys: list[str] = []
        self.outbox: list[tuple[bytes, dict[str, str]]] = []  # signed events not delivered yet
        self.delivered: list[tuple[bytes, dict[str, str]]] = []
        self.states: dict[int, str] = {}
        self.skew = timedelta(0)
        self._real_now = payproc.flows._common.now
        self._real_record = payproc.flows.checkout.record_result
        payproc.flows._common.now = lambda: self._real_now() + self.skew

    def teardown(self) -> None:
        payproc.flows._common.now = self._real_now
        payproc.flows.checkout.record_result = self._real_record
        self.app.db.dispose()
        processor.reset(self.account.name)
        shutil.rmtree(self.folder, ignore_errors=True)

    # --- helpers ---------------------------------------------------------------------

    def charges(self, *states: str) -> list[ChargeRow]:
        return [c for c in self.app.list_charges(limit=1000) if not states or c.state in states]

    def snapshot(self) -> tuple:
        with self.app.db.transaction() as session:
            counts = tuple(session.scalar(select(func.count()).select_from(model))
                           for model in (LedgerRow, RefundRow, DisputeRow, WebhookEventRow))
        return counts, [(c.id, c.state, c.amount_refunded) for c in self.charges()]

    def deliver(self, body: bytes, headers: dict[str, str]) -> None:
        try:
            self.app.handle_webhook(body, headers)
        except OutcomeUnknown:
            self.outbox.append((body, headers))  # a look-up could not be made: not stored, delivered again
        else:
            self.delivered.append((body, headers))

    # --- payments ---------------------------------------------------------------------

    @rule(amount=st.sampled_from([500, 2000, 12345]), token=st.sampled_from(TOKENS),
          reuse=st.booleans(), data=st.data())
    def checkout(self, amount, token, reuse, data):  # type: ignore[no-untyped-def]
        if reuse and self.keys:
            key = data.draw(st.sampled_from(self.keys))
        else:
            key = f"k{len(self.keys)}"
            self.keys.append(key)
        try:
            self.app.checkout("alice", amount, "usd", token, idempotency_key=key)
        except (CardError, OutcomeUnknown):
            pass
        except InvalidInput:
            pass  # the key was used for another amount: refused
        except ProcessorError as error:
            assert "idempotency key reused" in str(error)

    @rule()
    def timeout_next(self):  # type: ignore[no-untyped-def]
        self.account.fail_next("timeout", operation="create_charge")

    @rule(amount=st.sampled_from([700, 2000]))
    def crash_after_the_processor(self, amount):  # type: ignore[no-untyped-def]
        """The process dies between the processor's success and our commit;
        it restarts (a new app on the same database and account)."""
        def crash(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise Crash("the process died")

        payproc.flows.checkout.record_result = crash
        key = f"k{len(self.keys)}"
        self.keys.append(key)
        try:
            self.app.checkout("alice", amount, "usd", "tok_visa", idempotency_key=key)
        except (Crash, CardError, OutcomeUnknown):
            pass
        finally:
            payproc.flows.checkout.record_result = self._real_record
        self.app.db.dispose()
        self.app = restart(self.app)

    @rule()
    def time_passes(self):  # type: ignore[no-untyped-def]
        self.skew += LEASE + timedelta(seconds=1)

    @rule()
    def settle(self):  # type: ignore[no-untyped-def]
        self.app.settle()

    @precondition(lambda self: bool(self.charges("done", "disputed")))
    @rule(data=st.data(), amount=st.one_of(st.none(), st.integers(1, 13000)), keyed=st.booleans())
    def refund(self, data, amount, keyed):  # type: ignore[no-untyped-def]
        charge = data.draw(st.sampled_from(self.charges("done", "disputed")))
        key = None
        if keyed:  # sometimes the retry of an earlier refund, with its key
            key = data.draw(st.sampled_from([*self.refund_keys, f"r{len(self.refund_keys)}"]))
            if key not in self.refund_keys:
                self.refund_keys.append(key)
        try:
            self.app.refund(charge.id, amount, idempotency_key=key)
        except (RefundExceedsRemaining, InvalidStateTransition, OutcomeUnknown):
            pass
        except InvalidInput as error:
            assert "another refund" in str(error), error  # the key named another refund
        except ProcessorError as error:
            # the processor knows of a dashboard refund whose event is still on its way
            assert "left on charge" in str(error), error

    @rule(fault=st.sampled_from(["timeout", "unreachable"]))
    def lose_next_refund_answer(self, fault):  # type: ignore[no-untyped-def]
        self.account.fail_next(fault, operation="refund")

    # --- payouts --------------------------------------------------------------------

    @rule(amount=st.sampled_from([100, 700]), keyed=st.booleans(), data=st.data())
    def payout(self, amount, keyed, data):  # type: ignore[no-untyped-def]
        key = data.draw(st.sampled_from([*self.payout_keys, f"p{len(self.payout_keys)}"])) if keyed else None
        if key is not None and key not in self.payout_keys:
            self.payout_keys.append(key)
        try:
            self.app.create_transfer(self.app.settings.BROKER, amount, "usd", idempotency_key=key)
        except OutcomeUnknown:
            pass
        except InvalidInput as error:
            assert "available" in str(error) or "another payout" in str(error), error

    @rule(fault=st.sampled_from(["timeout", "unreachable"]))
    def lose_next_payout_answer(self, fault):  # type: ignore[no-untyped-def]
        self.account.fail_next(fault, operation="create_payout")

    @precondition(lambda self: any(p.status == "paid" for p in self.account._payouts.values()))
    @rule(data=st.data())
    def bank_returns_a_payout(self, data):  # type: ignore[no-untyped-def]
        paid = sorted(p.id for p in self.account._payouts.values() if p.status == "paid")
        self.outbox.append(self.account.fail_payout(data.draw(st.sampled_from(paid)), secret=WEBHOOK_SECRET))

    # --- everything delivered and settled: the books mirror the processor --------------

    @rule()
    def deliver_everything_and_settle(self):  # type: ignore[no-untyped-def]
        for _ in range(len(self.outbox) + 1):
            if not self.outbox:
                break
            self.deliver(*self.outbox.pop(0))
        self.skew += LEASE + timedelta(seconds=1)  # past every lease and grace
        self.app.settle()
        self.app.settle()
        if not self.outbox:  # a look-up may have failed on the way: then nothing to compare yet
            assert self.quiescent(), "settle left something in progress with nothing in the way"

    def quiescent(self) -> bool:
        """Every event delivered, nothing in progress: the books must mirror
        the processor now."""
        with self.app.db.transaction() as session:
            busy = sum(session.scalar(select(func.count()).select_from(model).where(condition)) or 0
                       for model, condition in ((ChargeRow, ChargeRow.state == "created"),
                                                (RefundRow, RefundRow.state == "pending"),
                                                (TransferRow, TransferRow.state == "pending")))
        return not self.outbox and not busy

    @invariant()
    def settled_books_mirror_the_processor(self) -> None:
        """Once settled, the core's captured, refunded and paid-out totals
        equal the processor's."""
        if not self.quiescent():
            return
        made = {c["id"]: c for c in self.account.list_charges()}
        captured_here = captured_there = refunded_here = refunded_there = 0
        for charge in self.charges():
            there = made.get(charge.processor_key or "")
            paid_here = charge.state in ("done", "disputed", "lost")
            paid_there = there is not None and there["status"] == "succeeded"
            assert paid_here == paid_there, (charge.id, charge.state, there and there["status"])
            if paid_here:
                captured_here += charge.amount
                captured_there += there["amount"]
                refunded_here += charge.amount_refunded
                refunded_there += there["amount_refunded"]
        assert (captured_here, refunded_here) == (captured_there, refunded_there)
        broker = self.app.settings.BROKER
        paid_out = sum(p.amount for p in self.account._payouts.values() if p.status != "failed")
        assert self.app.balances().get((broker, "Withdraw", "usd"), 0) == paid_out

    # --- the processor's webhooks -----------------------------------------------------

    @precondition(lambda self: bool(self.account.list_charges()))
    @rule(data=st.data(), kind=st.sampled_from(["dispute", "won", "lost", "dashboard_refund", "succeeded",
                                                "partial_dispute", "pre_arbitration", "inquiry", "closed"]))
    def processor_event(self, data, kind):  # type: ignore[no-untyped-def]
        """The processor raises an event; it goes to the outbox (delivered later, maybe out of order)."""
        made = data.draw(st.sampled_from([c for c in self.account.list_charges() if c["status"] == "succeeded"]
                                         or self.account.list_charges()))
        if made["status"] != "succeeded":
            return
        if kind == "dispute":
            event = self.account.open_dispute(made["id"], secret=WEBHOOK_SECRET)
        elif kind in ("partial_dispute", "pre_arbitration", "inquiry"):
            opened = {"partial_dispute": "chargeback"}.get(kind, kind)
            event = self.account.open_dispute(made["id"], amount=made["amount"] // 3, kind=opened,
                                              secret=WEBHOOK_SECRET)
        elif kind in ("won", "lost", "closed"):
            try:
                if kind == "closed":
                    event = self.account.close_dispute(made["id"], status="warning_closed", secret=WEBHOOK_SECRET)
                else:
                    event = self.account.close_dispute(made["id"], won=kind == "won", secret=WEBHOOK_SECRET)
            except ValueError:  # no open dispute to close on the processor
                return
        elif kind == "dashboard_refund":
            left = made["amount"] - made["amount_refunded"]
            if left <= 0:
                return
            event = self.account.refund_from_dashboard(made["id"], min(left, 300), secret=WEBHOOK_SECRET)
        else:
            event = build_event(EventType.CHARGE_SUCCEEDED, made["id"], secret=WEBHOOK_SECRET,
                                amount=made["amount"], currency=made["currency"])
        self.outbox.append(event)

    @precondition(lambda self: bool(self.outbox))
    @rule(data=st.data())
    def deliver_one(self, data):  # type: ignore[no-untyped-def]
        index = data.draw(st.integers(0, len(self.outbox) - 1))  # any order
        self.deliver(*self.outbox.pop(index))

    @precondition(lambda self: bool(self.delivered))
    @rule(data=st.data())
    def redeliver(self, data):  # type: ignore[no-untyped-def]
        body, headers = data.draw(st.sampled_from(self.delivered))
        before = self.snapshot()
        assert self.app.handle_webhook(body, headers).status == "duplicate"
        assert self.snapshot() == before

    @precondition(lambda self: bool(self.outbox or self.delivered))
    @rule(data=st.data(), how=st.sampled_from(["wrong_secret", "tampered", "unsigned", "stale"]))
    def forged(self, data, how):  # type: ignore[no-untyped-def]
        import json

        body, _headers = data.draw(st.sampled_from(self.outbox + self.delivered))
        event = json.loads(body)
        charge, kind = event["data"]["charge"], EventType(event["type"])
        if how == "wrong_secret":
            body, headers = build_event(kind, charge, secret="whsec_forger", amount=event["data"]["amount"])
        elif how == "tampered":
            body, headers = build_event(kind, charge, secret=WEBHOOK_SECRET, amount=event["data"]["amount"])
            body = body.replace(b'"type":"', b'"type":"x', 1) if kind == EventType.IGNORED else body + b" "
        elif how == "unsigned":
            headers = {}
        else:
            body, headers = build_event(kind, charge, secret=WEBHOOK_SECRET, timestamp=1_000_000_000)
        before = self.snapshot()
        try:
            self.app.handle_webhook(body, headers)
        except WebhookVerificationError:
            pass
        else:
            raise AssertionError(f"a {how} webhook was accepted")
        assert self.snapshot() == before

    # --- invariants ---------------------------------------------------------------------

    @invariant()
    def books_balance(self):  # type: ignore[no-untyped-def]
        books = self.app.check_books()
        assert books.balanced, books.problems
        assert all(total == 0 for total in books.totals.values())

    @invariant()
    def refunds_never_exceed_what_was_captured(self):  # type: ignore[no-untyped-def]
        for charge in self.charges():
            assert 0 <= charge.amount_refunded <= charge.amount
            if charge.processor_key:
                made = self.account.retrieve_charge(charge.processor_key)
                assert made.amount_refunded <= made.amount

    @invariant()
    def at_most_one_processor_charge_per_key(self):  # type: ignore[no-untyped-def]
        for key in self.keys:
            assert len(self.account.list_charges(key)) <= 1, key

    @invariant()
    def states_only_move_forward(self):  # type: ignore[no-untyped-def]
        for charge in self.charges():
            before = self.states.get(charge.id, "created")
            assert charge.state == before or charge.state in ALLOWED[before], (charge.id, before, charge.state)
            self.states[charge.id] = charge.state
            if charge.state in ("done", "disputed", "lost"):
                made = self.account.list_charges(charge.idempotency_key)
                assert [m["status"] for m in made] == ["succeeded"], (charge.idempotency_key, made)


Payments.TestCase.settings = settings(
    max_examples=30, stateful_step_count=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_random_sequences_keep_the_money_right = Payments.TestCase
