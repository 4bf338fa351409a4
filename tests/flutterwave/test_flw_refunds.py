"""Refunds on v3: never twice, even when an answer is lost, and the refund
look-up that settles a lost answer (retrieve_refund)."""

from __future__ import annotations

import dataclasses

import pytest
from payproc.errors import OutcomeUnknown, ProcessorError
from payproc.types import RefundRef, RefundStatus
from payproc_flutterwave.refs import refund_tag_for
from payproc_flutterwave_tests_fakeserver import PAGE_SIZE, REFUND, REFUNDS, Fault
from payproc_flutterwave_tests_helpers import charge_ref, context, new_key, request


def paid_charge(backend, fake, amount=10000, currency="ngn"):
    key = new_key()
    ctx = context(backend, amount, currency, key)
    made = fake.pay(ctx.reference, ctx.values["amount"], currency)
    result = backend.call("create_payment", request=request(amount, currency, key, str(made.id)),
                          reference=ctx.reference)
    return charge_ref(result, amount, currency, key, reference=ctx.reference), made


def refund(backend, charge, amount, key=None):
    return backend.call("refund_charge", charge=charge, amount=amount, broker_amount=0,
                        idempotency_key=key or f"{charge.idempotency_key}-refund-{amount}")


@pytest.mark.parametrize(("amount", "currency"), [(250000, "ngn"), (1500, "jpy"), (1234, "kwd")])
def test_full_refund(backend, fake, amount, currency):
    charge, made = paid_charge(backend, fake, amount, currency)
    record = refund(backend, charge, amount)
    assert (record.amount, record.currency) == (amount, currency) and record.processor_key.isdigit()
    [sent] = made.refunds
    assert str(sent["id"]) == record.processor_key and sent["comments"] == refund_tag_for(
        f"{charge.idempotency_key}-refund-{amount}")


def test_partial_refunds_add_up_and_more_than_is_left_is_refused(backend, fake):
    charge, made = paid_charge(backend, fake)
    first = refund(backend, charge, 2550)
    second = refund(backend, dataclasses.replace(charge, amount_refunded=2550), 1)
    assert (first.amount, second.amount) == (2550, 1) and first.processor_key != second.processor_key
    with pytest.raises(ProcessorError, match="greater than"):
        refund(backend, dataclasses.replace(charge, amount_refunded=2551), 7450)
    assert [r["amount_refunded"] for r in made.refunds] == [25.5, 0.01]


def test_refund_without_a_transaction_id_is_refused_before_calling(backend, fake):
    with pytest.raises(ProcessorError, match="no transaction id"):
        refund(backend, charge_ref(None, 1000, "ngn", new_key()), 1000)
    assert fake.count(REFUND) == 0 and fake.count(REFUNDS) == 0


def test_a_lost_refund_answer_then_a_retry_refunds_once(backend, fake):
    """Flutterwave refunds, the answer is lost (504 after the refund): the
    retry with the same key finds the refund by its tag and sends nothing."""
    charge, made = paid_charge(backend, fake)
    fake.add_fault(REFUND, Fault(status=504, after=True))
    with pytest.raises(OutcomeUnknown):
        refund(backend, charge, 3000, key="refund-k")
    assert len(made.refunds) == 1
    posted = fake.count(REFUND, "POST")
    again = refund(backend, charge, 3000, key="refund-k")
    assert fake.count(REFUND, "POST") == posted  # nothing sent again
    assert len(made.refunds) == 1 and again.processor_key == str(made.refunds[0]["id"])
    assert again.amount == 3000


def test_a_refund_lost_before_flutterwave_got_it_is_sent_on_retry(backend, fake):
    charge, made = paid_charge(backend, fake)
    fake.add_fault(REFUND, Fault(status=502, body="<html>Bad gateway</html>"))
    with pytest.raises(OutcomeUnknown):
        refund(backend, charge, 3000, key="refund-k")
    assert made.refunds == []
    assert refund(backend, charge, 3000, key="refund-k").amount == 3000
    assert len(made.refunds) == 1


def test_retrieve_refund_settles_a_lost_answer(backend, fake):
    charge, made = paid_charge(backend, fake)
    fake.add_fault(REFUND, Fault(status=504, after=True))
    with pytest.raises(OutcomeUnknown):
        refund(backend, charge, 1234, key="refund-lost")
    ref = RefundRef(charge=charge, idempotency_key="refund-lost", amount=1234, created_at=charge.created_at)
    info = backend.call("retrieve_refund", refund=ref)
    assert info.status is RefundStatus.SUCCEEDED
    assert (info.processor_key, info.amount, info.currency) == (str(made.refunds[0]["id"]), 1234, "ngn")
    never = RefundRef(charge=charge, idempotency_key="refund-never-sent", amount=1234, created_at=charge.created_at)
    assert backend.call("retrieve_refund", refund=never).status is RefundStatus.NOT_FOUND


def test_retrieve_refund_by_id_when_the_list_drops_the_comments(backend, fake):
    """Should Flutterwave's list not echo ``comments``, a refund payproc
    knows the id of is still found by that id."""
    charge, made = paid_charge(backend, fake)
    done = refund(backend, charge, 500, key="refund-by-id")
    for record in made.refunds:
        record["comments"] = ""
    ref = RefundRef(charge=charge, idempotency_key="refund-by-id", amount=500, created_at=charge.created_at,
                    processor_key=done.processor_key)
    info = backend.call("retrieve_refund", refund=ref)
    assert (info.status, info.processor_key, info.amount) == (RefundStatus.SUCCEEDED, done.processor_key, 500)


def test_the_look_up_reads_every_page(backend, fake):
    """More refunds than one page of GET /v3/refunds, the one sought last."""
    charge, made = paid_charge(backend, fake, amount=100000)
    for index in range(PAGE_SIZE + 3):
        refund(backend, dataclasses.replace(charge, amount_refunded=index * 100), 100, key=f"bulk-{index}")
    ref = RefundRef(charge=charge, idempotency_key=f"bulk-{PAGE_SIZE + 2}", amount=100, created_at=charge.created_at)
    calls = fake.count(REFUNDS)
    info = backend.call("retrieve_refund", refund=ref)
    assert info.status is RefundStatus.SUCCEEDED and info.processor_key == str(made.refunds[-1]["id"])
    assert fake.count(REFUNDS) == calls + 2


def test_a_tagged_refund_for_another_amount_is_an_integrity_error(backend, fake):
    from payproc.errors import IntegrityMismatch

    charge, made = paid_charge(backend, fake)
    refund(backend, charge, 500, key="refund-same-key")
    with pytest.raises(IntegrityMismatch):
        refund(backend, charge, 700, key="refund-same-key")
    assert len(made.refunds) == 1


def test_distribution_uses_the_fees_flutterwave_reports(backend, fake):
    charge, made = paid_charge(backend, fake, amount=250000)
    split = backend.call("charge_distribution", charge=charge, refunded=0, broker_fee_amount=0)
    assert (split.distribute_amount, split.processor_fee_amount) == (246500, 3500)  # app_fee 35.00 NGN
    partly = backend.call("charge_distribution", charge=charge, refunded=100000, broker_fee_amount=0)
    assert (partly.distribute_amount, partly.processor_fee_amount) == (146500, 3500)
    nearly = backend.call("charge_distribution", charge=charge, refunded=248000, broker_fee_amount=0)
    assert (nearly.distribute_amount, nearly.processor_fee_amount) == (0, 2000)  # never negative
    gone = backend.call("charge_distribution", charge=charge, refunded=250000, broker_fee_amount=0)
    assert gone.as_tuple() == (0, "ngn", 0, "ngn", 0, "ngn")


@pytest.mark.parametrize(("charged", "app_fee", "merchant_fee", "fee"), [
    ("100.00", "1.40", "0", 140),      # the merchant bears Flutterwave's fee
    ("101.40", "1.40", "0", 0),        # the customer paid it on top
    ("100.00", "1.40", "0.50", 190),   # and a merchant fee
    ("100.00", "1.4047", "0", 140),    # finer than the currency: rounded half up
])
def test_fee_from_app_fee_and_merchant_fee(backend, fake, charged, app_fee, merchant_fee, fee):
    charge, made = paid_charge(backend, fake, amount=10000)
    made.overrides.update(charged_amount=float(charged), app_fee=float(app_fee), merchant_fee=float(merchant_fee))
    split = backend.call("charge_distribution", charge=charge, refunded=0, broker_fee_amount=0)
    assert (split.distribute_amount, split.processor_fee_amount) == (10000 - fee, fee)


def test_a_lost_refund_answer_is_settled_once_through_the_core(payproc_driver, fake):
    """Flutterwave refunds and the answer is lost: ``settle`` asks
    (``retrieve_refund``) and books it; a retry with the key sends nothing."""
    from payproc.db.models import RefundState

    app = payproc_driver.app
    charge = payproc_driver.pay("success", 2000)
    payproc_driver.harness.lose_next_answer("refund")
    with pytest.raises(OutcomeUnknown):
        app.refund(charge.id, 600, idempotency_key="flw-lost-refund")
    [made] = fake.refunds()  # Flutterwave did refund
    assert app.get_charge(charge.id).amount_refunded == 0
    report = app.settle()
    assert [(r.amount, r.state, r.processor_key) for r in report.refunds] == [
        (600, RefundState.DONE, str(made["id"]))]
    assert app.get_charge(charge.id).amount_refunded == 600
    posted = fake.count(REFUND, "POST")
    assert app.refund(charge.id, 600, idempotency_key="flw-lost-refund").state == RefundState.DONE
    assert fake.count(REFUND, "POST") == posted and len(fake.refunds()) == 1
    rest = app.refund(charge.id)
    assert rest.amount == 1400 and [r["amount_refunded"] for r in fake.refunds()] == [6, 14]
    payproc_driver.assert_books_balance()
