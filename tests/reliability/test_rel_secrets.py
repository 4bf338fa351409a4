"""Secrets never show: for every installed backend, representative flows
run with every logger at DEBUG, and every captured log line, repr and str
of the app, its settings and backend, every exception raised and every web
answer is scanned for the secret key, the webhook secret, an Authorization
header's value and card numbers."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from relbackends import CASES, BackendCase, now
from relsupport import AUTHORIZATION, CARDS, PRIV_KEY, WEBHOOK_SECRET, leaks
from starlette.testclient import TestClient

from payproc.app import Payproc
from payproc.settings import load_settings
from payproc.web import create_app


def _describe(error: BaseException) -> list[str]:
    seen, parts = set(), []
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts += [str(current), repr(current), repr(current.args)]
        linked = getattr(current, "backend_except", None)
        if isinstance(linked, BaseException):
            parts += [str(linked), repr(linked)]
        current = current.__cause__ or current.__context__
    return parts


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_no_secret_in_logs_reprs_errors_or_answers(case: BackendCase, tmp_path, caplog):
    case.require()
    caplog.set_level(logging.DEBUG)  # before the backend loads: configure() may log
    section = {"BACKEND": case.name, "WEBHOOK_SECRET": WEBHOOK_SECRET, **case.settings}
    app = Payproc(load_settings(DATABASE_URL=f"sqlite:///{tmp_path}/secrets.sqlite3", PROCESSOR=section))
    app.init_db()
    app.add_profile("alice", "Alice")
    seen: list[str] = []

    def attempt(call: Callable[[], object]) -> None:
        try:
            seen.append(repr(call()))
        except Exception as error:  # noqa: BLE001 - every error's text is scanned
            seen.extend(_describe(error))

    backend = app.backend
    seen += [repr(app), str(app), repr(app.settings), str(app.settings), repr(app.settings.PROCESSOR),
             repr(backend), repr(backend.impl), str(backend.impl), repr(backend.settings), str(backend.settings),
             repr(app.settings.model_dump()), repr(backend.settings.model_dump())]
    amount, currency = (200000, "inr") if case.name == "razorpay" else (2000, "usd")
    attempt(lambda: app.payment_context("alice", amount, currency))
    attempt(lambda: app.checkout("alice", amount, currency, "tok_visa" if case.name == "fake" else "tok_rel_1"))
    attempt(lambda: app.checkout("alice", amount, currency, CARDS[0]))
    attempt(lambda: app.checkout("alice", amount, currency, "tok_rel_2", browser_fields={"cvc": "123"}))
    attempt(lambda: app.refund(10_000))
    attempt(lambda: app.settle())
    body, headers = case.signed("evt_secret_1", "ch_secret_1", "whsec_forger_secret", now())
    attempt(lambda: app.handle_webhook(body, {**headers, "authorization": AUTHORIZATION}))
    attempt(lambda: app.handle_webhook(body, {"authorization": AUTHORIZATION}))

    client = TestClient(create_app(app, page=False), raise_server_exceptions=False)
    auth = {"authorization": AUTHORIZATION}
    for answer in (
        client.post(f"/webhooks/{case.name}", content=body, headers={**headers, **auth}),
        client.post(f"/webhooks/{case.name}", content=b"{}", headers=auth),
        client.post("/api/checkout", json={"customer": "alice", "amount": amount, "currency": currency,
                                           backend.token_field: "tok_rel_3"}, headers=auth),
        client.post("/api/checkout", json={"customer": "alice", "amount": amount, "currency": currency,
                                           "card": {"number": CARDS[1], "cvc": "123"}}, headers=auth),
        client.get("/api/context", params={"customer": "alice"}, headers=auth),
        client.get("/api/ledger", headers=auth),
    ):
        text = answer.text
        if answer.headers.get("content-type", "").startswith("application/json") and "notes" in answer.json():
            # the backend's public notes for developers name its documented test cards
            text = repr({k: v for k, v in answer.json().items() if k != "notes"})
        seen += [text, repr(answer.headers)]
    seen.append(caplog.text)
    assert caplog.records, "nothing was logged: the scan would prove nothing"
    found = sorted({leak for text in seen for leak in leaks(text)})
    assert not found, f"{case.name}: secrets or card numbers shown: {found}"
    assert PRIV_KEY in repr(backend.settings.PRIV_KEY.get_secret_value())  # the scan looks for the right value
    app.db.dispose()


def test_the_scanner_finds_what_it_looks_for():
    assert leaks(f"key={PRIV_KEY}") and leaks(f"Authorization: {AUTHORIZATION}")
    assert leaks(f"hash {WEBHOOK_SECRET}") and leaks("card 4111 1111 1111 1111 here")
    assert not leaks("ch_fake_4111111111111111abc tok_visa 2000 usd")
