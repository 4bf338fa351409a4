"""The new-backend kit: what it generates installs as a backend and passes
the conformance suite as generated."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from payproc.errors import InvalidInput
from payproc.kit import create_backend, names_for


def _register(site: Path, name: str) -> None:
    """What ``pip install`` leaves for the entry point, in a directory the
    subprocess puts on its path (the shared environment stays untouched)."""
    names = names_for(name)
    info = site / f"{names['package']}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {names['distribution']}\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(
        f"[payproc.backends]\n{name} = {names['package']}.backend:{names['Class']}\n")


def _run_generated(root: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run the generated distribution's own tests as generated; they pass."""
    _register(tmp_path / "site", "acme_pay")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path / "site"), str(root / "src")]))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs", "tests"],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "failed" not in result.stdout and " passed" in result.stdout
    return result


def test_generated_backend_passes_the_suite(tmp_path: Path) -> None:
    root = create_backend("acme_pay", tmp_path)
    assert root == tmp_path / "payproc-acme-pay"
    assert (root / "src" / "payproc_acme_pay" / "py.typed").exists()
    pyproject = (root / "pyproject.toml").read_text()
    assert 'acme_pay = "payproc_acme_pay.backend:AcmePayBackend"' in pyproject
    assert '"payproc>=0.1,<0.2"' in pyproject
    backend = (root / "src" / "payproc_acme_pay" / "backend.py").read_text()
    assert 'contract = ">=1.1,<2"' in backend  # the core's own contract version as the floor
    assert "# def create_transfer(" in backend and '"create_transfer": "not written yet"' in backend
    result = _run_generated(root, tmp_path)
    assert "does not declare create_transfer (not written yet)" in result.stdout


def test_generated_redirect_backend_passes_the_suite(tmp_path: Path) -> None:
    root = create_backend("acme_pay", tmp_path, redirect=True)
    backend = (root / "src" / "payproc_acme_pay" / "backend.py").read_text()
    assert 'webhook_verification = "fetch"' in backend and 'contract = ">=1.1,<2"' in backend
    assert "def complete_payment(" in backend
    result = _run_generated(root, tmp_path)
    assert "cannot stage customer_action" not in result.stdout, "the redirect template stages customer action"
    assert "does not declare complete_payment" not in result.stdout


def _generated_class(root: Path, name: str) -> type[Any]:
    """Import a generated backend class in this process (no install: its
    ``src`` on the path for the import, then forgotten)."""
    package = names_for(name)["package"]
    sys.path.insert(0, str(root / "src"))
    try:
        module = importlib.import_module(f"{package}.backend")
        cls: type[Any] = getattr(module, names_for(name)["Class"])
    finally:
        sys.path.remove(str(root / "src"))
        for loaded in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
            del sys.modules[loaded]
    return cls


@pytest.mark.parametrize("redirect", [False, True], ids=["token", "redirect"])
def test_every_hook_a_generated_backend_lacks_has_its_reason(tmp_path: Path, redirect: bool) -> None:
    """The guide: a hook you do not write is absent and listed in
    ``unsupported`` with the reason, which ``payproc backends`` and the
    suite's skips show. Both templates do so for every hook they lack."""
    from payproc.backend import backend_capabilities
    from payproc.hookspecs import BACKEND_HOOKS

    name = f"kit_reasons_{'redirect' if redirect else 'token'}"
    cls = _generated_class(create_backend(name, tmp_path, redirect=redirect), name)
    lacking = [hook for hook in BACKEND_HOOKS if hook not in backend_capabilities(cls)]
    assert lacking, "the template writes every hook?"
    assert [hook for hook in lacking if not str(cls.unsupported.get(hook, "")).strip()] == []
    assert set(cls.unsupported) == set(lacking)


def test_names_are_checked(tmp_path: Path) -> None:
    for bad in ("Acme", "acme-pay", "9pay", "", "acme__pay"):
        with pytest.raises(InvalidInput):
            create_backend(bad, tmp_path)
    create_backend("acme", tmp_path)
    with pytest.raises(FileExistsError):
        create_backend("acme", tmp_path)


def test_a_destination_that_does_not_exist_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``payproc new-backend acme --dest typo/`` says so in one line and
    creates nothing (no stray directory tree)."""
    from payproc.cli import main

    missing = tmp_path / "no" / "such"
    with pytest.raises(InvalidInput, match="is not an existing directory"):
        create_backend("acme", missing)
    assert main(["new-backend", "acme", "--dest", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("payproc: error: destination ") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
