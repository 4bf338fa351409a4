"""``retrieve_charge`` and ``charge_distribution`` verify the tx_ref the
core stored with the charge (``ChargeRef.reference``); only a charge stored
without one has its tx_ref derived again from the idempotency key."""

from __future__ import annotations

from payproc.types import ChargeStatus
from payproc_flutterwave.refs import tx_ref_for
from payproc_flutterwave_legacy_tests_fakeserver import VERIFY
from payproc_flutterwave_tests_helpers import charge_ref, new_key
from payproc_flutterwave_tests_helpers import context as context_for


def test_a_context_without_idempotency_key_is_found_by_its_stored_tx_ref(backend, payproc_harness, fake):
    """Its tx_ref is random: nothing can derive it again, the stored one finds it."""
    context = context_for(backend, 250000, "ngn", None)
    assert context.reference and context.reference != tx_ref_for("charge-stored")
    token, _ = payproc_harness.pay(context, 250000, "ngn")
    paid = fake.transactions[context.reference]
    stored = charge_ref(None, 250000, "ngn", "charge-stored", reference=context.reference)

    info = backend.call("retrieve_charge", charge=stored)
    assert (info.status, info.processor_key, info.amount) == (ChargeStatus.SUCCEEDED, paid.flwref, 250000)
    split = backend.call("charge_distribution", charge=stored, refunded=0, broker_fee_amount=0)
    assert (split.distribute_amount, split.processor_fee_amount) == (246500, 3500)  # appfee 35.00 NGN

    derived = charge_ref(None, 250000, "ngn", "charge-stored")
    assert backend.call("retrieve_charge", charge=derived).status is ChargeStatus.NOT_FOUND


def test_the_stored_tx_ref_wins_over_the_derived_one(backend, fake):
    """A transaction under the derived tx_ref too (failed), and another
    under the stored one (paid): the charge is the stored one's."""
    key = new_key()
    fake.create_transaction(tx_ref_for(key), "100.00", "NGN", status="failed")
    stored = fake.create_transaction("payproc-stored-by-the-core", "100.00", "NGN", merchantbearsfee=0)
    charge = charge_ref(None, 10000, "ngn", key, reference=stored.txref)
    before = fake.count(VERIFY)
    info = backend.call("retrieve_charge", charge=charge)
    assert (info.status, info.processor_key) == (ChargeStatus.SUCCEEDED, stored.flwref)
    split = backend.call("charge_distribution", charge=charge, refunded=0, broker_fee_amount=0)
    assert (split.distribute_amount, split.processor_fee_amount) == (10000, 0)
    assert fake.count(VERIFY) == before + 2


def test_without_a_stored_reference_the_tx_ref_is_derived(backend, fake):
    key = new_key()
    derived = fake.create_transaction(tx_ref_for(key), "100.00", "NGN")
    charge = charge_ref(None, 10000, "ngn", key)
    info = backend.call("retrieve_charge", charge=charge)
    assert (info.status, info.processor_key) == (ChargeStatus.SUCCEEDED, derived.flwref)
    split = backend.call("charge_distribution", charge=charge, refunded=0, broker_fee_amount=0)
    assert split.processor_fee_amount == 140  # 1.40 NGN of 100.00

