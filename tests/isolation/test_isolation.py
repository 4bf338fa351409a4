"""With one backend distribution installed, the others are really absent.

Each plugin's nox session installs the wheels of the core and of that one
plugin, then runs this module with ``PAYPROC_ISOLATED_BACKEND`` naming it.
It checks what a user who ran ``pip install payproc payproc-<x>`` sees: no
other processor's SDK, ``payproc backends`` listing just ``<x>``, and a clear
install hint when the settings select a backend that is not installed.
Anywhere else (a development virtualenv with every plugin) it is skipped.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

#: entry-point name -> (distribution, import package, processor SDK modules)
BACKENDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "fake": ("payproc-fake", "payproc_fake", ()),
    "stripe": ("payproc-stripe", "payproc_stripe", ("stripe",)),
    "razorpay": ("payproc-razorpay", "payproc_razorpay", ("razorpay",)),
    # v3 speaks HTTP through httpx; rave_python comes only with its [rave] extra (legacy v2).
    "flutterwave": ("payproc-flutterwave", "payproc_flutterwave", ()),
}
ALL_SDKS = sorted({module for _, _, sdks in BACKENDS.values() for module in sdks})

ISOLATED = os.environ.get("PAYPROC_ISOLATED_BACKEND", "")
OTHERS = [name for name in BACKENDS if name != ISOLATED]

pytestmark = pytest.mark.skipif(
    not ISOLATED, reason="runs in a plugin's nox session (PAYPROC_ISOLATED_BACKEND names the one backend installed)"
)


def payproc_command() -> list[str]:
    """The ``payproc`` console script the core's wheel installed next to this Python."""
    script = shutil.which("payproc", path=str(Path(sys.executable).parent))
    assert script is not None, f"the core's wheel installed no `payproc` script beside {sys.executable}"
    return [script]


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("PAYPROC_") and key != "PYTHONPATH"
    }
    environment.update(env)
    return subprocess.run(args, cwd=cwd, env=environment, capture_output=True, text=True, timeout=120, check=False)


def test_the_isolated_backend_is_a_first_party_one() -> None:
    assert ISOLATED in BACKENDS, f"PAYPROC_ISOLATED_BACKEND={ISOLATED!r} is none of {sorted(BACKENDS)}"


def test_this_plugin_and_its_sdk_are_installed() -> None:
    distribution, package, sdks = BACKENDS[ISOLATED]
    assert importlib.metadata.version(distribution)
    assert importlib.util.find_spec(package) is not None
    for module in sdks:
        assert importlib.util.find_spec(module) is not None, f"{distribution} did not bring its SDK {module!r}"


def test_installed_from_wheels_not_from_the_source_tree() -> None:
    """An editable install or the source tree on sys.path would hide packaging mistakes."""
    repository = Path(__file__).resolve().parents[2]
    for package in ("payproc", BACKENDS[ISOLATED][1]):
        spec = importlib.util.find_spec(package)
        assert spec is not None and spec.origin is not None
        origin = Path(spec.origin).resolve()
        assert repository not in origin.parents or ".nox" in origin.parts, f"{package} imported from {origin}"


@pytest.mark.parametrize("other", OTHERS)
def test_other_plugins_and_their_sdks_are_absent(other: str, tmp_path: Path) -> None:
    """Imported in a fresh interpreter from an empty directory, as a user
    would (pytest puts ``tests/`` on sys.path, where ``tests/stripe/`` would
    pass for a namespace package called ``stripe``)."""
    distribution, package, sdks = BACKENDS[other]
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        importlib.metadata.distribution(distribution)
    for module in (package, *sdks):
        if module in BACKENDS[ISOLATED][2]:
            continue  # an SDK two plugins share would be legitimately present
        result = run([sys.executable, "-c", f"import {module}"], tmp_path)
        assert result.returncode != 0, f"`import {module}` works with only {BACKENDS[ISOLATED][0]} installed"
        assert "ModuleNotFoundError" in result.stderr, result.stderr


def test_payproc_backends_lists_just_this_one(tmp_path: Path) -> None:
    result = run([*payproc_command(), "backends"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    listed = [line.split()[0] for line in result.stdout.splitlines() if line and not line[0].isspace()]
    assert listed == [ISOLATED], result.stdout
    distribution = BACKENDS[ISOLATED][0]
    assert f"{distribution} {importlib.metadata.version(distribution)}" in result.stdout


def test_discovery_finds_just_this_one() -> None:
    from payproc.discovery import installed_backends

    found = installed_backends()
    assert list(found) == [ISOLATED]
    assert found[ISOLATED].distribution == BACKENDS[ISOLATED][0]


@pytest.mark.parametrize("other", OTHERS)
def test_selecting_another_backend_fails_with_the_install_hint(other: str, tmp_path: Path) -> None:
    result = run(
        [*payproc_command(), "check"],
        tmp_path,
        PAYPROC_PROCESSOR__BACKEND=other,
        PAYPROC_DATABASE_URL=f"sqlite:///{tmp_path / 'payproc.sqlite3'}",
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    # a first-party backend is named as not installed (9ab9108), with its install hint
    assert f"payment backend {other!r} is not installed" in output
    assert f"pip install {BACKENDS[other][0]}" in output


@pytest.mark.parametrize("other", OTHERS)
def test_loading_another_backend_raises_backend_not_found(other: str) -> None:
    from payproc.backend import load_backend
    from payproc.errors import BackendNotFound
    from payproc.settings import BackendSettings

    with pytest.raises(BackendNotFound, match=f"pip install {BACKENDS[other][0]}"):
        load_backend(BackendSettings(BACKEND=other), observers=False)


def test_importing_payproc_and_the_backend_class_imports_no_sdk(tmp_path: Path) -> None:
    """The SDK is imported when a client is built, not when the backend is
    listed or its class loaded (``payproc backends`` stays fast)."""
    probe = (
        "import json, sys\n"
        "import payproc\n"
        f"import {BACKENDS[ISOLATED][1]}\n"
        "from payproc.discovery import installed_backends\n"
        "for entry in installed_backends().values():\n"
        "    entry.entry_point.load()\n"
        f"print(json.dumps(sorted(m for m in {ALL_SDKS!r} if m in sys.modules)))\n"
    )
    result = run([sys.executable, "-c", probe], tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
