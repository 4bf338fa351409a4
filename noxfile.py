"""The test matrix.

Every plugin is tested alone: its session builds wheels of the core and of
that plugin only, installs them (no editable installs, no other plugin) and
runs the plugin's tests, which include the conformance suite. ``nox -l``
lists the sessions; ``nox -s core fake-3.11`` is the quick check.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
DEFAULT_PYTHON = "3.11"
PLUGINS = ["fake", "stripe", "razorpay", "flutterwave"]
TEST_DEPS = ["pytest>=8", "pytest-socket>=0.7", "hypothesis>=6"]
PLUGIN_TEST_DEPS = {
    "fake": [],
    "stripe": ["localstripe>=1.15", "werkzeug>=3", "requests>=2.31", "aiohttp>=3.9"],
    "razorpay": ["werkzeug>=3", "requests>=2.31"],
    "flutterwave": ["werkzeug>=3", "requests>=2.31"],
}
PYTEST = ["pytest", "-p", "socket", "--disable-socket", "--allow-hosts=127.0.0.1,localhost,::1",
          "-p", "no:cacheprovider", "-q"]

nox.options.default_venv_backend = "uv|virtualenv"
#: The merge check: every plugin alone on the default Python. The full
#: Python matrix (``nox -s fake stripe razorpay flutterwave``) is being brought
#: to green on 3.10 and 3.13 before it joins the default run.
nox.options.sessions = ["core", "postgres", "demo", *(f"{name}-{DEFAULT_PYTHON}" for name in PLUGINS)]


def build_wheels(session: nox.Session, *projects: str) -> list[str]:
    """Wheels of ``projects`` (paths below the repository), built fresh."""
    out = Path(session.create_tmp()) / "wheels"
    session.run("python", "-m", "pip", "--version", silent=True, success_codes=[0, 1])
    for wheel in out.glob("*.whl"):
        wheel.unlink()
    session.install("build")
    for project in projects:
        session.run("python", "-m", "build", "--wheel", "--outdir", str(out), str(ROOT / project), silent=True)
    return [str(path) for path in sorted(out.glob("*.whl"))]


def install_dists(session: nox.Session, *plugins: str) -> None:
    projects = ["core", *(f"plugins/payproc-{name}" for name in plugins)]
    session.install(*build_wheels(session, *projects), *TEST_DEPS,
                    *(dep for name in plugins for dep in PLUGIN_TEST_DEPS[name]))


@nox.session(python=DEFAULT_PYTHON)
def core(session: nox.Session) -> None:
    """The core's flows and bad-input tests on SQLite (with the reference backend)."""
    install_dists(session, "fake")
    session.run(*PYTEST, "tests/core", "-m", "not postgres", *session.posargs)


@nox.session(python=DEFAULT_PYTHON)
def postgres(session: nox.Session) -> None:
    """The flows that involve locking, on PostgreSQL (PAYPROC_TEST_POSTGRES_URL)."""
    install_dists(session, "fake")
    session.install("psycopg[binary]>=3.1.12")
    if not os.environ.get("PAYPROC_TEST_POSTGRES_URL"):
        session.skip("PAYPROC_TEST_POSTGRES_URL is not set")
    session.run(*PYTEST, "tests/core", "-m", "postgres", *session.posargs)


for _plugin in PLUGINS:

    def _run(session: nox.Session, plugin: str = _plugin) -> None:
        install_dists(session, plugin)
        session.run(*PYTEST, f"tests/{plugin}", *session.posargs)

    _run.__doc__ = f"payproc-{_plugin} alone (built wheels), its tests and the conformance suite."
    nox.session(name=_plugin, python=PYTHONS)(_run)


@nox.session(python=DEFAULT_PYTHON)
def demo(session: nox.Session) -> None:
    """The README's demo, on a fresh directory."""
    install_dists(session, "fake")
    tmp = session.create_tmp()
    with session.chdir(tmp):
        session.run("payproc", "demo", "--db", "demo.sqlite3")
        session.run("payproc", "backends")


@nox.session(python=DEFAULT_PYTHON)
def lint(session: nox.Session) -> None:
    """ruff over the whole repository."""
    session.install("ruff")
    session.run("ruff", "check", "core", "plugins", "tests", "noxfile.py")


@nox.session(python=DEFAULT_PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks (not part of the default run)."""
    install_dists(session, *PLUGINS)
    session.install("psycopg[binary]>=3.1.12")
    session.run("python", "benchmarks/run.py", *session.posargs)
