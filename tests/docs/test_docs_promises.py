"""What README.md and docs/*.md state about the code, checked against it, so
that a sentence goes stale in the same commit that changes the code (the
core session runs this directory: every tests/ directory no other session
owns)."""

from __future__ import annotations

import os
import re
import sys
from datetime import timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def text(relative: str) -> str:
    return (ROOT / relative).read_text(encoding="utf-8")


def code_blocks(markdown: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", markdown, flags=re.MULTILINE | re.DOTALL)


def test_the_migrations_table_lists_every_revision_in_order():
    from payproc.db import migrate

    documented = re.findall(r"^\| `(\d{4}_\w+)` \|", text("docs/migrations.md"), flags=re.MULTILINE)
    shipped = [script.revision for script in migrate.script_directory().walk_revisions()][::-1]
    assert documented == shipped


def test_the_readme_backend_snippet_is_python_that_loads(tmp_path, monkeypatch):
    """The README's ``AcmeBackend`` is a backend as written: it loads through
    ``module:Class`` and its settings model refuses a missing PRIV_KEY."""
    from payproc import ConfigurationError, Payproc

    section = text("README.md").split("## Writing a backend", 1)[1]
    (tmp_path / "readme_acme.py").write_text(code_blocks(section, "python")[0], encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    url = f"sqlite:///{tmp_path}/acme.sqlite3"
    try:
        backend = Payproc(DATABASE_URL=url, PROCESSOR={"BACKEND": "readme_acme:AcmeBackend", "PRIV_KEY": "sk_1"}).backend
        assert {"get_payment_context", "create_payment"} <= set(backend.capabilities)
        with pytest.raises(ConfigurationError, match="PROCESSOR.PRIV_KEY: Field required"):
            Payproc(DATABASE_URL=url, PROCESSOR={"BACKEND": "readme_acme:AcmeBackend"}).backend  # noqa: B018
    finally:
        sys.modules.pop("readme_acme", None)
    assert not (tmp_path / "acme.sqlite3").exists()


def _readme_defaults() -> dict[str, str]:
    """``KEY -> default`` from the README's settings table (``a, b, c`` rows
    split; a key without its section inherits the row's first key's)."""
    defaults: dict[str, str] = {}
    for keys, values in re.findall(r"^\| (`[A-Z_.]+`(?:, `[A-Z_]+`)*) \| ([^|]+?) \|", text("README.md"),
                                   flags=re.MULTILINE):
        names = re.findall(r"`([A-Z_.]+)`", keys)
        section = names[0].rpartition(".")[0]
        for name, value in zip(names, [value.strip() for value in values.split(",")], strict=True):
            defaults[name if "." in name or not section else f"{section}.{name}"] = value
    return defaults


def test_the_readme_settings_table_gives_the_defaults(monkeypatch, tmp_path):
    from payproc.settings import Settings

    monkeypatch.chdir(tmp_path)  # no payproc.toml, no .env
    for name in [name for name in os.environ if name.startswith("PAYPROC_")]:
        monkeypatch.delenv(name)
    settings = Settings()
    documented = _readme_defaults()
    assert documented["PROCESSOR_ID"] == str(settings.PROCESSOR_ID)
    assert documented["PROCESSOR.BACKEND"] == f"`{settings.PROCESSOR.BACKEND}`"
    assert documented["PROCESSOR.WEBHOOK_SECRET"] == "none" and settings.PROCESSOR.WEBHOOK_SECRET is None
    assert documented["DATABASE_URL"] == f"`{settings.DATABASE_URL}`"
    assert documented["BROKER"] == f"`{settings.BROKER}`"
    assert documented["ABANDON_AFTER"] == "24 hours" and settings.ABANDON_AFTER == timedelta(hours=24)
    for section in ("RENEWALS", "RETRIES"):
        model = getattr(settings, section)
        for key, field in type(model).model_fields.items():
            shown = documented[f"{section}.{key}"]
            if field.default is None:  # BATCH_SIZE: the concurrency when unset
                assert shown == "CONCURRENCY"
            else:
                assert float(shown) == float(getattr(model, key)), key


def test_the_template_contract_is_the_one_the_guide_shows(tmp_path):
    from payproc.kit import create_backend

    generated = (create_backend("acme", tmp_path) / "src" / "payproc_acme" / "backend.py").read_text()
    contract = re.search(r'^    contract = "([^"]+)"', generated, flags=re.MULTILINE)
    assert contract is not None
    assert f'`"{contract.group(1)}"` with this core' in text("docs/writing-a-backend.md")


def test_the_harness_table_names_every_optional_member():
    """Each optional member the harness protocol documents is in the guide's table."""
    from payproc.testing import harness

    optional = re.findall(r"^``(\w+)(?:\(|``)", harness.__doc__ or "", flags=re.MULTILINE)
    assert optional, "the harness module documents its optional members"
    guide = text("docs/writing-a-backend.md")
    missing = [name for name in optional if f"| `{name}" not in guide]
    assert missing == []


def test_the_paypal_example_lists_every_hook_it_lacks_with_the_reason(monkeypatch):
    """Its README: what is not written is listed in the class's
    ``unsupported`` with the reason (so ``payproc backends`` and the suite's
    skips say why), as the guide asks of every hook a backend lacks."""
    from payproc.backend import backend_capabilities
    from payproc.hookspecs import BACKEND_HOOKS

    assert "Not written (listed in the class's `unsupported` with the reason)" in text(
        "examples/payproc-paypal/README.md").replace("\n", " ")
    monkeypatch.syspath_prepend(str(ROOT / "examples" / "payproc-paypal" / "src"))
    try:
        from payproc_paypal.backend import PayPalBackend
    finally:
        for name in [name for name in sys.modules if name.startswith("payproc_paypal")]:
            del sys.modules[name]
    lacking = {hook for hook in BACKEND_HOOKS if hook not in backend_capabilities(PayPalBackend)}
    assert set(PayPalBackend.unsupported) == lacking
    assert all(reason.strip() for reason in PayPalBackend.unsupported.values())


def test_the_readme_names_the_hooks_contract_1_1_added():
    """The README's 1.1 paragraph lists exactly ``HOOKS_ADDED_IN_1_1`` (the
    hooks a 1.0 backend, still loaded, does not have), and the contract
    version it states is the core's."""
    from payproc._version import CONTRACT_VERSION
    from payproc.hookspecs import BACKEND_HOOKS, HOOKS_ADDED_IN_1_1

    section = text("README.md").split("## Writing a backend", 1)[1].split("\n## ", 1)[0]
    paragraph = section[section.index("This core speaks contract"):]
    assert f"This core speaks contract **{CONTRACT_VERSION}**" in paragraph
    named = [name for name in re.findall(r"`(\w+)`", paragraph) if name in BACKEND_HOOKS]
    assert sorted(named) == sorted(HOOKS_ADDED_IN_1_1)
    assert "payproc.hookspecs.HOOKS_ADDED_IN_1_1" in paragraph


def test_the_harness_table_uses_the_protocols_parameter_names():
    """Each harness method in the guide's table is written with the
    parameter names the protocol (or, for an optional member, the harness
    module's documentation) gives it."""
    import inspect

    from payproc.testing import harness

    documented = {name: args for name, args in re.findall(r"^``(\w+)\(([^)]*)\)", harness.__doc__ or "", re.MULTILINE)}
    rows = re.findall(r"^\| `(\w+)\(([^)]*)\)`", text("docs/writing-a-backend.md"), flags=re.MULTILINE)
    assert len(rows) >= 8
    for name, args in rows:
        shown = [arg.strip().rstrip("=").split("=")[0] for arg in args.split(",") if arg.strip()]
        method = getattr(harness.BackendHarness, name, None)
        if method is not None:
            expected = [p for p in inspect.signature(method).parameters if p != "self"]
        else:
            assert name in documented, f"{name}() is neither in the protocol nor in the harness module's docstring"
            expected = [arg.strip().split("=")[0] for arg in documented[name].split(",") if arg.strip() not in ("", "*")]
        assert shown == expected, (name, shown, expected)


def test_the_template_file_table_matches_what_new_backend_writes(tmp_path):
    """Every file the guide's table names is generated, and the pyproject
    holds the entry point it quotes in group ``payproc.backends``."""
    from payproc.kit import create_backend

    guide = text("docs/writing-a-backend.md")
    table = guide[guide.index("| file | what it is |"):].split("\n\n", 1)[0]
    files = [name for row in re.findall(r"^\| (`[^|]+`) \|", table, flags=re.MULTILINE)
             for name in re.findall(r"`([^`]+)`", row)]
    assert len(files) >= 8
    root = create_backend("acme", tmp_path)
    assert [name for name in files if not (root / name).is_file()] == []
    entry = re.search(r"the entry point `(\w+) = \"([\w.:]+)\"` in group `([\w.]+)`", table)
    assert entry is not None
    pyproject = (root / "pyproject.toml").read_text()
    assert 'name = "payproc-acme"' in pyproject
    assert f'[project.entry-points."{entry.group(3)}"]\n{entry.group(1)} = "{entry.group(2)}"' in pyproject
    assert (root / "tests" / "test_acme_conformance.py").read_text().count("from payproc.testing.suite import *") == 1


def _web_client(tmp_path):  # type: ignore[no-untyped-def]
    """payproc.web as ``payproc serve`` serves it (no customer_of, no
    authorize), on the fake backend and a SQLite file of the test's own."""
    from payproc import Payproc
    from payproc.web import create_app
    from starlette.testclient import TestClient

    app = Payproc(DATABASE_URL=f"sqlite:///{tmp_path}/docs.sqlite3",
                  PROCESSOR={"BACKEND": "fake", "ACCOUNT": f"acct_docs_{tmp_path.name}", "WEBHOOK_SECRET": "whsec_d"})
    app.init_db()
    app.add_profile("alice", "Alice Martin", "alice@example.com")
    return app, TestClient(create_app(app))


def test_the_readme_body_limits_are_the_codes(tmp_path):
    """README: 64 KiB (1 MiB for a webhook), 413 ``body_too_large``; JSON
    nested more than 16 levels, 400 ``invalid_json``; nothing recorded."""
    from payproc.web import fields

    readme = " ".join(text("README.md").split())
    quoted = re.search(r"larger than (\d+) KiB \((\d+) MiB for a webhook\) is refused with (\d+) `(\w+)`, and a JSON "
                       r"body nested more than (\d+) levels deep with (\d+) `(\w+)`", readme)
    assert quoted is not None
    kib, mib, big_status, big_code, depth, deep_status, deep_code = quoted.groups()
    assert (int(kib) * 1024, int(mib) * 1024 * 1024, int(depth)) == (
        fields.MAX_BODY, fields.MAX_WEBHOOK_BODY, fields.MAX_DEPTH)
    app, client = _web_client(tmp_path)
    try:
        big = client.post("/api/checkout", content=b" " * (fields.MAX_BODY + 1),
                          headers={"content-type": "application/json"})
        hook = client.post("/webhooks/fake", content=b" " * (fields.MAX_WEBHOOK_BODY + 1))
        nested: dict[str, object] = {}
        for _ in range(fields.MAX_DEPTH):  # the body itself is the first level
            nested = {"n": nested}
        deep = client.post("/api/checkout", json={"customer": "alice", "amount": 2000, "currency": "usd",
                                                  "stripeToken": "tok_visa", **nested})
        assert (big.status_code, big.json()["error"]) == (int(big_status), big_code)
        assert (hook.status_code, hook.json()["error"]) == (int(big_status), big_code)
        assert (deep.status_code, deep.json()["error"]) == (int(deep_status), deep_code)
        assert app.list_charges() == []
    finally:
        app.db.dispose()


def test_without_customer_of_the_card_on_file_is_refused_as_the_docs_say(tmp_path):
    """README and checkout-page.md: without ``customer_of`` a checkout with
    no token is 400 ``no_token``, and one with ``remember_card`` a 400; the
    card-on-file endpoint does not exist; nothing is charged or kept."""
    assert "only with `customer_of`, else 400 `no_token`" in text("docs/checkout-page.md")
    app, client = _web_client(tmp_path)
    try:
        app.update_card("alice", "tok_visa")
        card = app.party("alice").keys.card_key
        paying = {"customer": "alice", "amount": 2000, "currency": "usd"}
        no_token = client.post("/api/checkout", json=paying)
        remember = client.post("/api/checkout", json={**paying, "stripeToken": "tok_visa", "remember_card": True})
        assert (no_token.status_code, no_token.json()["error"]) == (400, "no_token")
        assert remember.status_code == 400 and "customer_of" in remember.json()["message"]
        assert client.get("/api/card").status_code == 404
        assert app.list_charges() == [] and app.party("alice").keys.card_key == card
    finally:
        app.db.dispose()


def test_payprocs_own_keys_are_what_the_checkout_page_says():
    """checkout-page.md: ``pp_`` and a random UUID (122 random bits); its
    ``ABANDON_AFTER`` default is the README's."""
    import uuid

    from payproc.flows.checkout import new_idempotency_key
    from payproc.settings import Settings

    page = " ".join(text("docs/checkout-page.md").split())
    assert "payproc's own are `pp_` and a random UUID, 122 random bits" in page
    key = new_idempotency_key()
    assert key.startswith("pp_") and uuid.UUID(hex=key[3:]).version == 4 and key != new_idempotency_key()
    assert "`ABANDON_AFTER` (default 24 hours)" in page
    assert Settings.model_fields["ABANDON_AFTER"].default == timedelta(hours=24)
