"""Forged, malformed and replayed webhooks at the HTTP layer, for every
installed backend: 400 (never 500) for anything not genuinely signed,
nothing stored, fail closed without a secret, and a genuine event replayed
days later de-duplicated by its event id."""

from __future__ import annotations

from datetime import timedelta

import pytest
from relbackends import CASES, BackendCase, now
from relsupport import WEBHOOK_SECRET
from sqlalchemy import func, select
from starlette.testclient import TestClient

from payproc.app import Payproc
from payproc.db import WebhookEventRow
from payproc.errors import ConfigurationError
from payproc.settings import load_settings
from payproc.web import create_app

DAYS = 3 * 24 * 3600


def _app(case: BackendCase, tmp_path, **overrides) -> Payproc:  # type: ignore[no-untyped-def]
    section = {"BACKEND": case.name, "WEBHOOK_SECRET": WEBHOOK_SECRET, **case.settings, **overrides}
    app = Payproc(load_settings(DATABASE_URL=f"sqlite:///{tmp_path}/{case.name}.sqlite3", PROCESSOR=section))
    app.init_db()
    return app


def _stored(app: Payproc) -> int:
    with app.db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(WebhookEventRow)) or 0)


def _verify_as_flutterwave_api(app: Payproc, monkeypatch: pytest.MonkeyPatch) -> None:
    """Flutterwave's body is unsigned: the backend asks the API for the
    transaction. Stand in for that one API call (the SDK is not involved)."""
    from decimal import Decimal

    from payproc_flutterwave.transaction import Transaction

    monkeypatch.setattr(app.backend.impl, "_verify", lambda tx_ref: Transaction(
        tx_ref=tx_ref, status="successful", flw_ref=f"FLW-{tx_ref}", tx_id="1234",
        amount=Decimal("20.00"), charged_amount=Decimal("20.00"), currency="NGN"))


@pytest.fixture(params=CASES, ids=[case.name for case in CASES])
def case(request) -> BackendCase:  # type: ignore[no-untyped-def]
    request.param.require()
    return request.param


@pytest.fixture
def client_app(case, tmp_path):  # type: ignore[no-untyped-def]
    app = _app(case, tmp_path)
    yield TestClient(create_app(app, page=False), raise_server_exceptions=False), app
    app.db.dispose()


def test_missing_or_malformed_signature_is_400_never_500(case, client_app):
    client, app = client_app
    body, headers = case.signed("evt_rel_1", "ch_rel_1", WEBHOOK_SECRET, now())
    url = f"/webhooks/{case.name}"
    attempts = [{}, {case.header: ""}] + [{case.header: value} for value in case.malformed]
    for bad in attempts:
        answer = client.post(url, content=body, headers={k: v.encode("utf-8") for k, v in bad.items()})
        assert answer.status_code == 400, (bad, answer.status_code, answer.text)
        assert answer.json()["error"] == "webhook_verification_failed"
    for bad_body in (b"", b"not json", b"\xff\xfe", b"[]", b"{}"):
        answer = client.post(url, content=bad_body, headers={case.header: "garbage"})
        assert answer.status_code == 400, (bad_body, answer.text)
    assert _stored(app) == 0


def test_wrong_secret_and_tampered_body_are_400(case, client_app):
    client, app = client_app
    url = f"/webhooks/{case.name}"
    body, headers = case.signed("evt_rel_2", "ch_rel_2", "whsec_not_ours_at_all", now())
    assert client.post(url, content=body, headers=headers).status_code == 400
    if case.signs_body:
        body, headers = case.signed("evt_rel_3", "ch_rel_3", WEBHOOK_SECRET, now())
        tampered = body.replace(b"ch_rel_3", b"ch_rel_4")
        assert client.post(url, content=tampered, headers=headers).status_code == 400
    if case.signs_time:
        stale = case.signed("evt_rel_5", "ch_rel_5", WEBHOOK_SECRET, now() - DAYS)
        assert client.post(url, content=stale[0], headers=stale[1]).status_code == 400
        future = case.signed("evt_rel_6", "ch_rel_6", WEBHOOK_SECRET, now() + 3600)
        assert client.post(url, content=future[0], headers=future[1]).status_code == 400
    assert _stored(app) == 0


def test_no_webhook_secret_refuses_everything(case, tmp_path):
    try:
        app = _app(case, tmp_path, WEBHOOK_SECRET=None)
        app.backend  # noqa: B018 - loading validates the settings
    except ConfigurationError:
        return  # refused at start-up: closed too
    client = TestClient(create_app(app, page=False), raise_server_exceptions=False)
    url = f"/webhooks/{case.name}"
    for secret in ("", WEBHOOK_SECRET, "anything"):
        body, headers = case.signed("evt_rel_7", "ch_rel_7", secret, now())
        answer = client.post(url, content=body, headers=headers)
        assert answer.status_code == 400, (secret, answer.text)
    assert client.post(url, content=b"{}").status_code == 400
    assert _stored(app) == 0
    app.db.dispose()


def test_old_event_replayed_days_later_is_deduplicated(case, client_app, monkeypatch):
    client, app = client_app
    if case.name == "flutterwave":
        _verify_as_flutterwave_api(app, monkeypatch)
    url = f"/webhooks/{case.name}"
    body, headers = case.signed("evt_rel_replay", "ch_rel_replay", WEBHOOK_SECRET, now())
    first = client.post(url, content=body, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["status"] in ("pending", "applied", "ignored")
    with app.db.transaction() as session:  # the event was received days ago
        for row in session.scalars(select(WebhookEventRow)):
            row.received_at -= timedelta(days=3)
    if case.signs_time:  # the captured delivery itself is stale now...
        old = case.signed("evt_rel_replay", "ch_rel_replay", WEBHOOK_SECRET, now() - DAYS)
        assert client.post(url, content=old[0], headers=old[1]).status_code == 400
        body, headers = case.signed("evt_rel_replay", "ch_rel_replay", WEBHOOK_SECRET, now())  # ...a redelivery is not
    again = client.post(url, content=body, headers=headers)
    assert (again.status_code, again.json()["status"]) == (200, "duplicate"), again.text
    assert _stored(app) == 1
