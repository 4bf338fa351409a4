"""Customer action over HTTP: a checkout the processor answers
``requires_action`` for, finished by the page (``POST api/complete``) or by
the customer's return (``GET|POST return/<key>``), exactly once; the
purchase is read back by its key (``GET api/checkout/<key>``)."""

from __future__ import annotations

from payproc.db.models import LedgerRow
from payproc_fake import actions, processor
from sqlalchemy import func, select


def ledger_rows(app) -> int:  # type: ignore[no-untyped-def]
    with app.db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(LedgerRow)) or 0)


def challenged(client, token: str = "tok_3ds"):  # type: ignore[no-untyped-def]
    key = client.post("/api/context", json={"amount": 2000, "currency": "usd"}).json()["idempotency_key"]
    answer = client.post("/api/checkout", json={"amount": 2000, "currency": "usd", "idempotency_key": key,
                                                "stripeToken": token})
    assert answer.status_code == 202, answer.text
    charge = answer.json()
    assert charge["state"] == "requires_action" and charge["idempotency_key"] == key
    return key, charge


def test_the_page_completes_a_challenge_once(client, payproc_app):
    key, charge = challenged(client)
    assert charge["next_action"]["kind"] == "script"
    params = {"challenge": charge["next_action"]["values"]["challenge"], "otp": actions.TEST_OTP}
    done = client.post("/api/complete", json={"idempotency_key": key, "params": params})
    assert done.status_code == 200, done.text
    assert (done.json()["state"], done.json()["next_action"]) == ("done", None)
    rows = ledger_rows(payproc_app)
    again = client.post("/api/complete", json={"idempotency_key": key, "params": params})
    assert (again.status_code, again.json()["state"]) == (200, "done")
    assert ledger_rows(payproc_app) == rows and payproc_app.check_books().balanced
    assert client.get(f"/api/checkout/{key}").json()["state"] == "done"


def test_a_failed_challenge_is_a_402_and_a_failed_charge(client, payproc_app):
    key, charge = challenged(client)
    params = {"challenge": charge["next_action"]["values"]["challenge"], "otp": "000000"}
    answer = client.post("/api/complete", json={"idempotency_key": key, "params": params})
    assert answer.status_code == 402
    assert (answer.json()["error"], answer.json()["charge"]["state"]) == ("authentication_failed", "failed")
    assert ledger_rows(payproc_app) == 0


def test_the_customers_return_completes_and_goes_back_to_the_page(client, payproc_app):
    key, charge = challenged(client, "tok_3ds_redirect")
    action = charge["next_action"]
    assert action["kind"] == "redirect" and "return_url=http" in action["url"]
    challenge = action["values"]["challenge"]
    back = client.get(f"/return/{key}", params={"challenge": challenge, "otp": actions.TEST_OTP},
                      follow_redirects=False)
    assert back.status_code == 303
    assert back.headers["location"].endswith(f"/?purchase={key}")
    assert client.get(f"/api/checkout/{key}").json()["state"] == "done"
    rows = ledger_rows(payproc_app)
    # The processor's page posting back a second time changes nothing.
    again = client.post(f"/return/{key}", data={"challenge": challenge, "otp": actions.TEST_OTP},
                        follow_redirects=False)
    assert again.status_code == 303 and ledger_rows(payproc_app) == rows
    assert processor.get_account(payproc_app.backend.settings.ACCOUNT).requests.count("answer_challenge") == 1


def test_without_the_page_the_return_answers_the_purchase(payproc_app):
    """``payproc serve`` and ``create_app(app)`` serve no page to send the
    customer back to: the return answers where the purchase stands, as
    ``GET api/checkout/<key>`` does (docs/checkout-page.md)."""
    from payproc.web import create_app
    from starlette.testclient import TestClient

    with TestClient(create_app(payproc_app, customer_of=lambda request, fields: "alice")) as plain:
        assert plain.get("/").status_code == 404
        key, charge = challenged(plain, "tok_3ds_redirect")
        params = {"challenge": charge["next_action"]["values"]["challenge"], "otp": actions.TEST_OTP}
        back = plain.get(f"/return/{key}", params=params, follow_redirects=False)
        assert back.status_code == 200, back.text
        assert (back.json()["idempotency_key"], back.json()["state"]) == (key, "done")
        assert back.json() == plain.get(f"/api/checkout/{key}").json()


def test_a_return_with_nothing_done_leaves_the_purchase_waiting(client, payproc_app):
    key, _charge = challenged(client)
    back = client.get(f"/return/{key}", params={"status": "succeeded"}, follow_redirects=False)
    assert back.status_code == 303
    assert client.get(f"/api/checkout/{key}").json()["state"] == "requires_action"
    assert ledger_rows(payproc_app) == 0


def test_bad_completes_are_refused_and_change_nothing(client, payproc_app):
    key, _charge = challenged(client)
    for body, status in (({}, 400), ({"idempotency_key": key, "params": "x"}, 400),
                         ({"idempotency_key": "pp_unknown", "params": {}}, 404)):
        answer = client.post("/api/complete", json=body)
        assert answer.status_code == status, answer.text
    assert client.get("/api/checkout/pp_unknown").status_code == 404
    assert client.get(f"/api/checkout/{key}").json()["state"] == "requires_action"
    assert ledger_rows(payproc_app) == 0
