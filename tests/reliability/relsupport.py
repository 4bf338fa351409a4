"""Shared pieces of the reliability tests: apps on the fake backend with
known secrets, the processor backdoor, and the scanners that look for
secrets and card numbers where none may be (a module with a unique name:
tests run in pytest's prepend import mode)."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest

from payproc.app import Payproc
from payproc.guards import looks_like_card_number
from payproc.settings import load_settings

#: Secrets every reliability app is configured with; the scanners look for them.
WEBHOOK_SECRET = "whsec_rel_9f1c2e7a5b3d4c6e"
PRIV_KEY = "sk_rel_private_7d2f9a4b1c8e3f60"
AUTHORIZATION = "Bearer sk_rel_authorization_4e8a1b7c9d2f"
SECRETS = (WEBHOOK_SECRET, PRIV_KEY, AUTHORIZATION, AUTHORIZATION.split()[1])

#: Card numbers the tests post where they must be refused (Luhn-valid test cards).
CARDS = ("4242424242424242", "4000 0566 5566 5556", "5555-5555-5555-4444", "378282246310005")

# A digit run standing alone (not inside a hex id such as ch_fake_0a12…).
_ALONE = re.compile(r"(?<![0-9A-Za-z_])(?:\d[ -]?){12,18}\d(?![0-9A-Za-z_])")


def card_like(text: str) -> list[str]:
    """Luhn-valid 13-19 digit runs in ``text`` that stand alone."""
    return [match.group() for match in _ALONE.finditer(text) if looks_like_card_number(match.group())]


def leaks(text: str) -> list[str]:
    """What ``text`` shows that it must not: a secret (by its first
    characters) or a card number."""
    found = [f"secret {secret[:7]}…" for secret in SECRETS if secret in text]
    found += [f"card {card[:4]}…" for card in CARDS if card in text or card.replace(" ", "").replace("-", "") in text]
    found += [f"card-like {run[:4]}…" for run in card_like(text)]
    return found


def make_app(database_url: str, *, account: str | None = None, **processor: object) -> Payproc:
    """A Payproc app on the fake backend, tables created, with profiles
    ``alice`` (customer) and ``cowork`` (provider)."""
    section: dict[str, object] = {
        "BACKEND": "fake", "ACCOUNT": account or f"acct_rel_{uuid.uuid4().hex[:10]}",
        "WEBHOOK_SECRET": WEBHOOK_SECRET, "PRIV_KEY": PRIV_KEY,
    }
    section.update(processor)
    app = Payproc(load_settings(DATABASE_URL=database_url, PROCESSOR=section))
    app.init_db()
    app.add_profile("cowork", "Cowork Space Ltd.")
    app.add_profile("alice", "Alice Martin", "alice@example.com")
    return app


def restart(app: Payproc) -> Payproc:
    """A new Payproc (new engine, new backend instance) on the same database
    and the same simulated processor account: what a process restart sees."""
    return Payproc(app.settings)


def account_of(app: Payproc):  # type: ignore[no-untyped-def]
    """The simulated processor account behind ``app`` (the backdoor)."""
    from payproc_fake import processor

    return processor.get_account(app.backend.settings.ACCOUNT)  # type: ignore[attr-defined]


def postgres_url() -> str:
    """``PAYPROC_TEST_POSTGRES_URL``: skipped when unset, failed in CI."""
    url = os.environ.get("PAYPROC_TEST_POSTGRES_URL", "").strip()
    if not url:
        if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
            pytest.fail("PAYPROC_TEST_POSTGRES_URL is not set in CI: the PostgreSQL tests must run there")
        pytest.skip("PAYPROC_TEST_POSTGRES_URL is not set")
    return url


def database_bytes(database_url: str) -> bytes:
    """Every byte of a SQLite database: the file, its WAL and shared memory."""
    path = Path(database_url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if p.is_file())
