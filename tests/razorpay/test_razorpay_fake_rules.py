"""The fake refuses what Razorpay documents as refused, in Razorpay's error
shape, when called through the real SDK (the backend checks first, so these
go around it)."""

from __future__ import annotations

import pytest


@pytest.fixture
def sdk(harness, fake):
    if fake is None:
        pytest.skip("the fake's own rules: nothing to check against Razorpay's test mode here")
    import razorpay

    return razorpay.Client(auth=(harness.key_id, harness.key_secret), base_url=harness.api_base)


def _recurring_request(fake, sdk, backdoor):
    token_payment = backdoor.backdoor("card_checkout", {"card": {"last4": "1111"}})["id"]
    payment = fake.state.payments[token_payment]
    order = sdk.order.create({"amount": 10000, "currency": "INR", "payment_capture": True,
                              "customer_id": payment["customer_id"]})
    return {
        "email": "gaurav.kumar@example.com", "contact": "+919876543567", "amount": 10000, "currency": "INR",
        "order_id": order["id"], "customer_id": payment["customer_id"], "token": payment["token_id"],
        "recurring": "1", "description": "renewal",
    }


@pytest.mark.parametrize("missing", ["contact", "email", "token"])
def test_recurring_payment_without_a_required_field_is_refused(sdk, fake, backdoor, missing):
    import razorpay

    data = _recurring_request(fake, sdk, backdoor)
    del data[missing]
    before = len(fake.state.payments)
    with pytest.raises(razorpay.errors.BadRequestError, match=f"The {missing} field is required"):
        sdk.payment.createRecurring(data)
    assert len(fake.state.payments) == before


def test_recurring_payment_on_an_unconfirmed_token_is_refused(sdk, fake, backdoor):
    import razorpay

    data = _recurring_request(fake, sdk, backdoor)
    backdoor.backdoor("tokens/recurring_status", {"token_id": data["token"], "status": "initiated"})
    with pytest.raises(razorpay.errors.BadRequestError, match="not confirmed"):
        sdk.payment.createRecurring(data)


def test_recurring_answer_has_the_sdk_mock_shape_and_the_debit_waits(sdk, fake, backdoor):
    answer = sdk.payment.createRecurring(_recurring_request(fake, sdk, backdoor))
    payment = fake.state.payments[answer["razorpay_payment_id"]]
    assert payment["status"] == "created"
    backdoor.debit_due()
    assert payment["status"] == "captured"


def test_capture_of_another_amount_is_refused(sdk, fake, backdoor):
    import razorpay

    order = sdk.order.create({"amount": 50000, "currency": "INR"})
    payment = backdoor.backdoor("checkout", {"order_id": order["id"]})
    for amount in (49900, 50100):
        with pytest.raises(razorpay.errors.BadRequestError, match="equal to the amount authorized"):
            sdk.payment.capture(payment["id"], amount, {"currency": "INR"})
    assert fake.state.payments[payment["id"]]["status"] == "authorized"
    sdk.payment.capture(payment["id"], 50000, {"currency": "INR"})
    assert fake.state.payments[payment["id"]]["status"] == "captured"


@pytest.mark.parametrize(("key", "ok"), [("abc", False), ("a" * 37, False), ("bad/key!", False),
                                         ("abcd", True), ("a" * 36, True), ("pp 12_ab-c", True)])
def test_transfer_idempotency_key_rules(sdk, fake, backdoor, key, ok):
    import razorpay

    backdoor.backdoor("balance", {"add": 100000})
    body = {"account": "acc_Provider000001", "amount": 1000, "currency": "INR"}
    if not ok:
        with pytest.raises(razorpay.errors.BadRequestError, match="idempotency key"):
            sdk.transfer.create(body, headers={"X-Transfer-Idempotency": key})
        assert fake.state.transfers == {}
        return
    first = sdk.transfer.create(body, headers={"X-Transfer-Idempotency": key})
    again = sdk.transfer.create(body, headers={"X-Transfer-Idempotency": key})
    assert first["id"] == again["id"] and len(fake.state.transfers) == 1
    with pytest.raises(razorpay.errors.BadRequestError, match="Different request body"):
        sdk.transfer.create({**body, "amount": 2000}, headers={"X-Transfer-Idempotency": key})


def test_error_bodies_have_razorpays_shape(harness, fake):
    if fake is None:
        pytest.skip("fake only")
    auth = (harness.key_id, harness.key_secret)
    answer = harness.session.post(harness.api_base + "/v1/payments/create/recurring", auth=auth, json={},
                                  timeout=10)
    error = answer.json()["error"]
    assert answer.status_code == 400
    assert set(error) == {"code", "description", "source", "step", "reason", "metadata", "field"}
    assert error["code"] == "BAD_REQUEST_ERROR" and error["field"] == "email"


def test_a_receipt_is_unique(sdk, fake):
    import razorpay

    sdk.order.create({"amount": 1000, "currency": "INR", "receipt": "rcpt-1"})
    with pytest.raises(razorpay.errors.BadRequestError, match="receipt should be unique"):
        sdk.order.create({"amount": 1000, "currency": "INR", "receipt": "rcpt-1"})
    assert len(fake.state.orders) == 1
