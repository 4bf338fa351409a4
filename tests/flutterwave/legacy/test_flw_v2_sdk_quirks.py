"""rave_python 1.5.0's verify bugs, shown against the documented v2 answer,
and the backend's results staying right despite each of them."""

from __future__ import annotations

import warnings
from decimal import Decimal

import pytest
from payproc.errors import CardError, OutcomeUnknown, ProcessorSetupError
from payproc.types import ChargeStatus
from payproc_flutterwave.legacy.sdk import RaveClient, silence_side_channels
from payproc_flutterwave.legacy.settings import LegacySettings
from payproc_flutterwave_legacy_tests_fakeserver import PUB_KEY, SEC_KEY, VERIFY, Fault
from payproc_flutterwave_tests_helpers import charge_ref, context, new_key, request


def plain_sdk_card(url):
    """rave_python's own Card (no payproc override), quiet, on the fake."""
    from rave_python.rave_card import Card

    silence_side_channels()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        card = Card(PUB_KEY, SEC_KEY, False, False)
    card._baseUrl = url
    return card


def test_sdk_reads_documented_fields_under_other_names(fake, fake_server):
    fake.create_transaction("tx-names", "1234.50", "NGN")
    sdk = plain_sdk_card(fake_server.url).verify("tx-names")
    # the bug: the documented v2 fields come back as None
    assert sdk["currency"] is None and sdk["flwRef"] is None and sdk["chargedamount"] is None
    # the workaround: payproc reads the documented names from the same answer
    client = RaveClient(LegacySettings(PUB_KEY=PUB_KEY, PRIV_KEY=SEC_KEY, API_BASE=fake_server.url))
    transaction, sdk_view = client.verify("tx-names")
    assert sdk_view["currency"] is None  # the SDK's own parse, unchanged
    assert transaction.currency == "NGN"
    assert transaction.flw_ref and transaction.flw_ref.startswith("FLW-MOCK-")
    assert transaction.charged_amount == Decimal("1234.5") and transaction.amount == Decimal("1234.5")
    assert transaction.tx_id and transaction.app_fee == Decimal("17.28")


def test_the_sdk_field_names_are_read_too(backend, fake):
    """Should Flutterwave answer with the names the SDK expects, the
    backend still finds the fields (fallback)."""
    key = new_key()
    ctx = context(backend, 1000, "ngn", key)
    created = fake.create_transaction(ctx.reference, "10.00", "NGN")
    fake.add_fault(VERIFY, Fault(sdk_names=True))
    result = backend.call("create_payment", request=request(1000, "ngn", key), reference=ctx.reference)
    assert result.processor_key == created.flwref


def test_sdk_does_not_raise_on_a_failed_transaction_but_the_backend_does(backend, fake, fake_server):
    key = new_key()
    ctx = context(backend, 1000, "ngn", key)
    created = fake.create_transaction(ctx.reference, "10.00", "NGN", status="failed", chargecode="51",
                                      chargemessage="Insufficient funds")
    sdk = plain_sdk_card(fake_server.url).verify(ctx.reference)
    assert sdk["error"] is True and sdk["transactionComplete"] is False  # returned, not raised
    with pytest.raises(CardError) as caught:
        backend.call("create_payment", request=request(1000, "ngn", key), reference=ctx.reference)
    assert (caught.value.code, caught.value.charge_processor_key) == ("51", created.flwref)
    assert "Insufficient funds" in str(caught.value)
    info = backend.call("retrieve_charge", charge=charge_ref(None, 1000, "ngn", key))
    assert info.status is ChargeStatus.FAILED and info.failure_code == "51"


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, {"status": "error", "message": "No transaction found", "data": None}, CardError),
        (401, {"status": "error", "message": "Invalid secret key passed", "data": None}, ProcessorSetupError),
        (200, {"status": "success", "message": "Tx Fetched", "data": None}, OutcomeUnknown),
    ],
)
def test_sdk_crashes_on_data_null_but_the_backend_maps_it(backend, fake, fake_server, status, body, expected):
    fake.add_fault(VERIFY, Fault(status=status, body=body))
    with pytest.raises(AttributeError):  # the bug: 'NoneType' object has no attribute 'get'
        plain_sdk_card(fake_server.url).verify("tx-null")
    key = new_key()
    fake.add_fault(VERIFY, Fault(status=status, body=body))
    with pytest.raises(expected):
        backend.call("create_payment", request=request(1000, "ngn", key), reference=None)


def test_data_null_not_found_means_not_found_for_retrieve(backend, fake):
    fake.add_fault(VERIFY, Fault(status=400, body={"status": "error", "message": "No transaction found", "data": None}))
    info = backend.call("retrieve_charge", charge=charge_ref(None, 1000, "ngn", new_key()))
    assert info.status is ChargeStatus.NOT_FOUND
