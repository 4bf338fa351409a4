"""Refunds, retrieve_charge and charge_distribution."""

from __future__ import annotations

import pytest
from payproc.errors import OutcomeUnknown, ProcessorError
from payproc.types import ChargeStatus
from payproc_flutterwave_legacy_tests_fakeserver import REFUND, Fault
from payproc_flutterwave_tests_helpers import charge_ref, new_key, pay


def refund(backend, charge, amount):
    return backend.call("refund_charge", charge=charge, amount=amount, broker_amount=0,
                        idempotency_key=f"{charge.idempotency_key}-refund-{amount}")


@pytest.mark.parametrize(("amount", "currency"), [(250000, "ngn"), (1500, "jpy"), (1234, "kwd")])
def test_full_refund(backend, payproc_harness, amount, currency):
    result, key, _ = pay(backend, payproc_harness, amount, currency)
    record = refund(backend, charge_ref(result, amount, currency, key), amount)
    assert (record.amount, record.currency) == (amount, currency) and record.processor_key
    if not payproc_harness.sandbox:
        [charge] = payproc_harness.processor_charges(key)
        assert charge["amount_refunded"] == amount
        assert charge["refunds"][0]["FlwRef"] == result.processor_key


def test_partial_refunds_add_up(backend, payproc_harness):
    result, key, _ = pay(backend, payproc_harness, 10000, "ngn")
    first = refund(backend, charge_ref(result, 10000, "ngn", key), 2550)
    second = refund(backend, charge_ref(result, 10000, "ngn", key, refunded=2550), 1)
    assert (first.amount, second.amount) == (2550, 1) and first.processor_key != second.processor_key
    if not payproc_harness.sandbox:
        [charge] = payproc_harness.processor_charges(key)
        assert charge["amount_refunded"] == 2551
        assert [r["AmountRefunded"] for r in charge["refunds"]] == [25.5, 0.01]


def test_refund_beyond_what_is_left_is_refused(backend, payproc_harness, fake):
    result, key, _ = pay(backend, payproc_harness, 1000, "ngn")
    refund(backend, charge_ref(result, 1000, "ngn", key), 1000)
    with pytest.raises(ProcessorError, match="exceeds"):
        refund(backend, charge_ref(result, 1000, "ngn", key, refunded=1000), 1)


def test_refund_without_flwref_is_refused_before_calling(backend, fake):
    with pytest.raises(ProcessorError, match="no flwRef"):
        refund(backend, charge_ref(None, 1000, "ngn", new_key()), 1000)
    assert fake.count(REFUND) == 0


def test_refund_gateway_error_is_outcome_unknown(backend, payproc_harness, fake):
    result, key, _ = pay(backend, payproc_harness, 1000, "ngn")
    fake.add_fault(REFUND, Fault(status=502, body="<html>Bad gateway</html>"))
    with pytest.raises(OutcomeUnknown):
        refund(backend, charge_ref(result, 1000, "ngn", key), 1000)


def test_refund_for_another_amount_is_an_integrity_error(backend, payproc_harness, fake):
    from payproc.errors import IntegrityMismatch

    result, key, _ = pay(backend, payproc_harness, 1000, "ngn")
    fake.add_fault(REFUND, Fault(body={"status": "success", "message": "Refunded",
                                       "data": {"id": 7, "AmountRefunded": 9, "FlwRef": result.processor_key}}))
    with pytest.raises(IntegrityMismatch):
        refund(backend, charge_ref(result, 1000, "ngn", key), 500)


def test_retrieve_charge(backend, payproc_harness):
    result, key, _ = pay(backend, payproc_harness, 4200, "ngn")
    info = backend.call("retrieve_charge", charge=charge_ref(result, 4200, "ngn", key))
    assert info.status is ChargeStatus.SUCCEEDED
    assert (info.processor_key, info.amount, info.currency) == (result.processor_key, 4200, "ngn")
    unknown = backend.call("retrieve_charge", charge=charge_ref(None, 4200, "ngn", new_key()))
    assert unknown.status is ChargeStatus.NOT_FOUND


def test_distribution_uses_the_fee_flutterwave_reports(backend, payproc_harness):
    result, key, _ = pay(backend, payproc_harness, 250000, "ngn")
    charge = charge_ref(result, 250000, "ngn", key)
    split = backend.call("charge_distribution", charge=charge, refunded=0, broker_fee_amount=0)
    assert split.distribute_amount + split.processor_fee_amount + split.broker_fee_amount == 250000
    if not payproc_harness.sandbox:
        assert split.processor_fee_amount == 3500  # 1.4 % of 2500.00 NGN, as the fake reports appfee 35
    partly = backend.call("charge_distribution", charge=charge, refunded=100000, broker_fee_amount=0)
    assert partly.distribute_amount + partly.processor_fee_amount == 150000
    gone = backend.call("charge_distribution", charge=charge, refunded=250000, broker_fee_amount=0)
    assert gone.as_tuple() == (0, "ngn", 0, "ngn", 0, "ngn")


def test_distribution_rounds_a_fee_finer_than_the_currency(backend, fake):
    from decimal import Decimal

    from payproc_flutterwave.refs import tx_ref_for

    key = new_key()
    created = fake.create_transaction(tx_ref_for(key), "1.234", "KWD")
    created.appfee = Decimal("0.017276")
    split = backend.call("charge_distribution", charge=charge_ref(None, 1234, "kwd", key), refunded=0,
                         broker_fee_amount=0)
    assert (split.distribute_amount, split.processor_fee_amount) == (1217, 17)


def test_customer_borne_fee_is_not_deducted(backend, fake):
    from payproc_flutterwave.refs import tx_ref_for

    key = new_key()
    fake.create_transaction(tx_ref_for(key), "100.00", "NGN", merchantbearsfee=0)
    split = backend.call("charge_distribution", charge=charge_ref(None, 10000, "ngn", key), refunded=0,
                         broker_fee_amount=0)
    assert (split.distribute_amount, split.processor_fee_amount) == (10000, 0)
