"""The payproc test matrix.

Every session is built from the constants below. ``nox -l`` lists them; a bare
``nox`` runs the default ones (``nox.options.sessions``), which is what CI
(``.ci/run``) runs for a merge. The quick check while developing is
``nox -s core-3.11 fake-3.11``.

- ``core`` (x Python 3.10-3.13): the core's flows, renewals and the conformance
  suite's own tests, on the fake backend and SQLite.
- ``fake``, ``stripe``, ``razorpay``, ``flutterwave`` (x Python 3.10-3.13): the
  BUILT WHEELS of the core and of that one plugin, nothing else, then the
  plugin's tests, the conformance suite and the isolation check.
- ``flutterwave_rave`` (x Python 3.10 and 3.13): payproc-flutterwave with its
  ``[rave]`` extra, the legacy v2 path's tests and conformance suite.
- ``reliability``: faults, forgeries, bad input, invariants, with every plugin installed.
- ``postgres``: the tests marked ``postgres`` (any directory) on a real server
  (``PAYPROC_TEST_POSTGRES_URL``), renewals and settle split across processes included.
- ``celery``: payproc's Celery tasks (``payproc[celery]``) with real worker
  processes on the machine's RabbitMQ and Redis (``PAYPROC_TEST_REDIS_URL``
  picks another Redis database than 0), and PostgreSQL; workers killed
  mid-task included.
- ``migrations``: payproc 0.1 (the first release, built from git commit
  f291d5e into a venv of its own) fills a database on SQLite and on
  PostgreSQL; this code upgrades it in place (``tests/first_release``).
- ``lowest``: each plugin with the core, every dependency at its declared
  minimum (``constraints/``), on the oldest Python present.
- ``packaging``: sdist + wheel of every distribution, ``twine check``, metadata tests.
- ``lint`` (ruff), ``typecheck`` (mypy --strict on the ``payproc`` package),
  ``demo`` (``payproc demo`` in an empty directory), ``web`` (HTTP + browser tests).
- ``examples``: the backends made with the kit (``examples/payproc-*``), from
  their wheels, proven by the conformance suite.
- ``bench``: the benchmarks; never part of the default run.

The sessions that test no particular Python (lint, typecheck, packaging,
reliability, postgres, celery, migrations, demo, web, examples, bench) run on
3.11 when it is present, else on the first supported Python present;
``lowest`` on the oldest present. So a machine with only Python 3.12 runs all
of them. The per-version sessions (``core-3.10``...) of a missing interpreter
are skipped (nox's default) unless ``--error-on-missing-interpreters`` is
given, as CI does. pytest prints every skipped test's reason (``-rs``). pyenv's versions are
found without being on ``PATH``.

CI runs these default sessions in two nox processes side by side (``.ci/run``
says which session goes where); each builds its wheels under its own
``PAYPROC_NOX_DIST``.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.download_python = "never"  # never fetch interpreters: use the machine's

ROOT = Path(__file__).resolve().parent
CORE = ROOT / "core"
TESTS = ROOT / "tests"
CONSTRAINTS = ROOT / "constraints"
#: Where wheels are built; CI's two side-by-side nox processes each set their own.
DIST = Path(os.environ.get("PAYPROC_NOX_DIST") or ROOT / ".nox" / "_dist")

PYTHONS = ("3.10", "3.11", "3.12", "3.13")
LOWEST_PYTHON = PYTHONS[0]
DEV_PYTHON = "3.11"

#: entry-point name -> what its session needs beyond the core and the plugin.
PLUGINS: dict[str, tuple[str, ...]] = {
    "fake": (),
    "stripe": ("localstripe>=1.15", "aiohttp>=3.9"),
    "razorpay": (),
    "flutterwave": (),
}

#: What every test session installs next to the distributions under test.
TEST_REQUIREMENTS = (
    "pytest>=7.4",
    "pytest-socket>=0.7",
    "hypothesis>=6.100",
    "werkzeug>=3.0",
    "pytest-httpserver>=1.0",
    "tenacity>=8.2",
    "httpx>=0.27",
)
#: What the HTTP side's tests add: a real browser (Debian's Chromium, installed
#: by .ci/browser-deps, driven by Playwright) and the Django example.
WEB_TEST_REQUIREMENTS = ("playwright>=1.40", "django>=4.2")

#: Pinned so that a new ruff release does not turn main red overnight.
RUFF = "ruff==0.17.6"
MYPY = "mypy>=1.10"

nox.options.sessions = [
    "lint",
    "typecheck",
    "packaging",
    "core",
    *PLUGINS,
    "flutterwave_rave",
    "reliability",
    "postgres",
    "celery",
    "migrations",
    "lowest",
    "demo",
    "web",
    "examples",
]


def _add_pyenv_to_path() -> None:
    """Let nox find ``pythonX.Y`` of every pyenv version, selected or not.

    pyenv's shims answer only for the selected versions; the interpreters
    themselves live in ``$(pyenv root)/versions/X.Y.Z/bin``. Appended, so a
    Python the user put on ``PATH`` still wins.
    """
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if not root.is_dir():
        return
    found: dict[str, Path] = {}
    def release(path: Path) -> tuple[int, ...]:
        return tuple(int(part) if part.isdigit() else -1 for part in path.name.split("."))

    for version in sorted(root.iterdir(), key=release):
        for wanted in PYTHONS:
            if version.name.startswith(wanted + ".") and (version / "bin" / f"python{wanted}").exists():
                found[wanted] = version / "bin"  # the newest patch release wins
    extra = [str(path) for path in found.values() if str(path) not in os.environ.get("PATH", "")]
    if extra:
        os.environ["PATH"] = os.pathsep.join([os.environ.get("PATH", ""), *extra])


_add_pyenv_to_path()


def _present(version: str) -> bool:
    return shutil.which(f"python{version}") is not None


#: The Python of the sessions that test no particular version (lint,
#: typecheck, packaging, reliability, demo, web, examples, postgres...):
#: DEV_PYTHON when it is present, else the first supported Python that is, so
#: that a machine with only Python 3.12 runs them instead of skipping them.
#: (None present: DEV_PYTHON, and nox says it is missing.)
ANY_PYTHON = next((version for version in (DEV_PYTHON, *PYTHONS) if _present(version)), DEV_PYTHON)
#: The oldest supported Python present: ``lowest`` pins every dependency to its
#: declared minimum on it.
OLDEST_PYTHON = next((version for version in PYTHONS if _present(version)), LOWEST_PYTHON)


# -- building and installing the distributions -------------------------------------------------


def plugin_dir(name: str) -> Path:
    return ROOT / "plugins" / f"payproc-{name}"


_wheels: dict[Path, Path] = {}


def build_wheel(session: nox.Session, project: Path) -> str:
    """Build ``project``'s wheel once per nox run (they are pure Python, so
    one wheel serves every interpreter) and return its path."""
    if project not in _wheels:
        out = DIST / "wheels" / project.name
        shutil.rmtree(out, ignore_errors=True)
        if session.venv_backend == "uv":
            session.run("uv", "build", "--quiet", "--wheel", "--out-dir", str(out), str(project))
        else:
            session.run("python", "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(project))
        (wheel,) = out.glob("*.whl")
        _wheels[project] = wheel
    return str(_wheels[project])


def install_dists(
    session: nox.Session,
    plugins: tuple[str, ...],
    *,
    extras: str = "",
    requirements: tuple[str, ...] = TEST_REQUIREMENTS,
    constraints: tuple[Path, ...] = (),
) -> None:
    """Install the core's wheel (with ``extras``), the given plugins' wheels
    and ``requirements``: never an editable install, never another plugin."""
    core = build_wheel(session, CORE)
    wheels = [f"payproc[{extras}] @ {Path(core).as_uri()}" if extras else core]
    wheels += [build_wheel(session, plugin_dir(name)) for name in plugins]
    args = [*wheels, *requirements]
    for path in constraints:
        args += ["--constraint", str(path)]
    session.install(*args)


def show_versions(session: nox.Session) -> None:
    """Print what is installed: the lowest session's log proves its pins."""
    if session.venv_backend == "uv":
        session.run("uv", "pip", "list")
    else:
        session.run("python", "-m", "pip", "list")


def pytest(session: nox.Session, *paths: str, env: dict[str, str] | None = None, markexpr: str | None = None) -> None:
    """Run pytest from the repository root (its config lives in pyproject.toml)
    over the paths that exist; extra arguments come from ``nox -- ...``."""
    existing = [path for path in paths if (ROOT / path).exists()]
    if not existing:
        session.error(f"none of {paths} exists: nothing to test")
    args = ["-m", markexpr] if markexpr else []
    # -rs: every skipped test says why in the summary (a skip must never hide a missing feature)
    session.run("python", "-m", "pytest", "-rs", *args, *existing, *session.posargs, env=env or {})


# -- the sessions -------------------------------------------------------------------------------


#: Test directories that a session of their own runs; every other directory
#: of tests/ belongs to the core session, so a new one is never left out.
OWN_SESSION_TESTS = (*PLUGINS, "web", "isolation", "packaging", "reliability", "first_release", "celery")


def core_test_dirs() -> list[str]:
    return sorted(
        f"tests/{path.name}" for path in TESTS.iterdir()
        if path.is_dir() and path.name not in OWN_SESSION_TESTS and not path.name.startswith((".", "_"))
    )


@nox.session(python=PYTHONS, tags=["tests"])
def core(session: nox.Session) -> None:
    """The core's flows on SQLite (every tests/ directory no other session owns), on the fake backend."""
    install_dists(session, ("fake",), extras="web")
    pytest(session, *core_test_dirs(), markexpr="not postgres")


EXAMPLES = ROOT / "examples"


@nox.session(python=ANY_PYTHON, tags=["tests"])
def examples(session: nox.Session) -> None:
    """Backends made with the kit (examples/payproc-*), each installed from its
    wheel next to the core's and proven by the conformance suite."""
    for project in sorted(EXAMPLES.glob("payproc-*")):
        session.install(build_wheel(session, CORE), build_wheel(session, project), *TEST_REQUIREMENTS)
        session.run("payproc", "backends")
        pytest(session, str((project / "tests").relative_to(ROOT)))


@nox.session(python=ANY_PYTHON, tags=["tests"])
def reliability(session: nox.Session) -> None:
    """Faults, forgeries, bad input and invariants, for every backend at once (all plugins installed, and
    the kit's example backend, examples/payproc-paystack)."""
    install_dists(session, tuple(PLUGINS), extras="web",
                  requirements=(build_wheel(session, EXAMPLES / "payproc-paystack"), *TEST_REQUIREMENTS,
                                *(r for rs in PLUGINS.values() for r in rs)))
    pytest(session, "tests/reliability", markexpr="not postgres")


def _plugin_session(name: str, extra_requirements: tuple[str, ...]) -> None:
    def session_func(session: nox.Session) -> None:
        install_dists(session, (name,), requirements=TEST_REQUIREMENTS + extra_requirements)
        env = {"PAYPROC_ISOLATED_BACKEND": name}
        pytest(session, f"tests/{name}", "tests/isolation", env=env, markexpr="not postgres")

    session_func.__doc__ = (
        f"payproc-{name} alone: wheels of the core and payproc-{name}, its tests, conformance, isolation."
    )
    nox.session(name=name, python=PYTHONS, tags=["tests", "plugins"])(session_func)


for _name, _requirements in PLUGINS.items():
    _plugin_session(_name, _requirements)


@nox.session(python=(PYTHONS[0], PYTHONS[-1]), tags=["tests", "plugins"])
def flutterwave_rave(session: nox.Session) -> None:
    """payproc-flutterwave with its [rave] extra (rave_python): the legacy v2 path's tests and conformance
    (on the oldest and newest Python: the v3 path and the shared code run on every one)."""
    plugin = build_wheel(session, plugin_dir("flutterwave"))
    session.install(build_wheel(session, CORE), f"payproc-flutterwave[rave] @ {Path(plugin).as_uri()}",
                    *TEST_REQUIREMENTS)
    pytest(session, "tests/flutterwave/legacy", markexpr="not postgres")


@nox.session(python=ANY_PYTHON, tags=["tests"])
def postgres(session: nox.Session) -> None:
    """The tests marked ``postgres`` (flows, races) on PAYPROC_TEST_POSTGRES_URL."""
    if not os.environ.get("PAYPROC_TEST_POSTGRES_URL"):
        if os.environ.get("CI"):
            session.error("PAYPROC_TEST_POSTGRES_URL is not set: CI must run the PostgreSQL tests")
        session.skip("PAYPROC_TEST_POSTGRES_URL is not set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    # Every plugin, so that any test directory may hold PostgreSQL tests.
    # celery: tests/celery is collected (its tests are not marked postgres; the celery session runs them)
    install_dists(session, tuple(PLUGINS), extras="postgres,web,celery",
                  requirements=TEST_REQUIREMENTS + WEB_TEST_REQUIREMENTS + tuple(r for rs in PLUGINS.values() for r in rs))
    pytest(session, "tests", markexpr="postgres")


@nox.session(python=ANY_PYTHON, tags=["tests"])
def celery(session: nox.Session) -> None:
    """payproc[celery]: real worker processes on RabbitMQ and Redis (127.0.0.1), PostgreSQL."""
    if not os.environ.get("PAYPROC_TEST_POSTGRES_URL"):
        if os.environ.get("CI"):
            session.error("PAYPROC_TEST_POSTGRES_URL is not set: CI must run the Celery tests")
        session.skip("PAYPROC_TEST_POSTGRES_URL is not set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    install_dists(session, ("fake",), extras="postgres,web,celery",
                  requirements=(*TEST_REQUIREMENTS, "redis>=4.5"))
    pytest(session, "tests/celery")


#: The first release: the migrations session builds it from this commit.
FIRST_RELEASE = "f291d5e"


def first_release_python(session: nox.Session) -> str:
    """A venv with payproc and payproc-fake as released at FIRST_RELEASE
    (``git archive`` of that commit, installed from source); its python."""
    found = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{FIRST_RELEASE}^{{commit}}"],
                           capture_output=True)
    if found.returncode != 0:
        session.error(f"commit {FIRST_RELEASE} (payproc 0.1, the first release) is not in this clone: the "
                      "migrations session builds 0.1 from it. Fetch the whole history: git fetch --unshallow")
    home = Path(session.create_tmp()).resolve() / "first-release"
    shutil.rmtree(home, ignore_errors=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", FIRST_RELEASE,
                              "core", "plugins/payproc-fake"], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(home / "src", **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    venv, base = home / "venv", str(Path(session.bin) / "python")
    python = str(venv / "bin" / "python")
    sources = [f"{home / 'src' / 'core'}[postgres]", str(home / "src" / "plugins" / "payproc-fake")]
    if session.venv_backend == "uv":
        session.run("uv", "venv", "--quiet", "-p", base, str(venv), external=True)
        session.run("uv", "pip", "install", "--quiet", "-p", python, *sources, external=True)
    else:
        session.run(base, "-m", "venv", str(venv), external=True)
        session.run(python, "-m", "pip", "install", "--quiet", *sources, external=True)
    session.run(python, "-c", "from importlib.metadata import version as v; "
                "print('first release:', 'payproc', v('payproc'), 'payproc-fake', v('payproc-fake'))", external=True)
    return python


@nox.session(python=ANY_PYTHON, tags=["tests"])
def migrations(session: nox.Session) -> None:
    """payproc 0.1 fills a database (SQLite and PAYPROC_TEST_POSTGRES_URL); this code upgrades it in place."""
    if not os.environ.get("PAYPROC_TEST_POSTGRES_URL") and os.environ.get("CI"):
        session.error("PAYPROC_TEST_POSTGRES_URL is not set: CI must upgrade a PostgreSQL database too")
    python = first_release_python(session)
    install_dists(session, ("fake",), extras="postgres")
    pytest(session, "tests/first_release", env={"PAYPROC_FIRST_RELEASE_PYTHON": python})


@nox.session(python=OLDEST_PYTHON, tags=["tests"])
@nox.parametrize("plugin", [nox.param(name, id=name) for name in PLUGINS])
def lowest(session: nox.Session, plugin: str) -> None:
    """The core and one plugin with every dependency at its declared minimum."""
    constraints = (CONSTRAINTS / "payproc.txt", CONSTRAINTS / f"payproc-{plugin}.txt")
    markexpr = None
    if plugin == "fake":  # the core's own tests, its extras included, ride with the reference backend
        # starlette 0.37's TestClient passes app= to httpx.Client, which httpx 0.28 removed:
        # a test tool's limit, not payproc's, so the test tool is held back here.
        extras, requirements = "postgres,web", (*TEST_REQUIREMENTS, *WEB_TEST_REQUIREMENTS, "httpx<0.28")
        paths: tuple[str, ...] = ("tests/core", "tests/renewals", "tests/web", "tests/fake", "tests/migrations")
    else:  # the plugin alone (no postgres extra): its PostgreSQL tests run in the postgres session
        extras, requirements = "", TEST_REQUIREMENTS + PLUGINS[plugin]
        paths, markexpr = (f"tests/{plugin}",), "not postgres"
    install_dists(session, (plugin,), extras=extras, requirements=requirements, constraints=constraints)
    show_versions(session)
    pytest(session, *paths, markexpr=markexpr)


@nox.session(python=ANY_PYTHON, tags=["checks"])
def packaging(session: nox.Session) -> None:
    """sdist and wheel of every distribution, twine check, metadata tests."""
    out = DIST / "packaging"
    shutil.rmtree(out, ignore_errors=True)
    session.install("twine>=5", "packaging>=23", *TEST_REQUIREMENTS)
    if session.venv_backend != "uv":
        session.install("build>=1.2")
    for project in (CORE, *map(plugin_dir, PLUGINS)):
        # The sdist first, then the wheel built from the unpacked sdist, as pip would.
        if session.venv_backend == "uv":
            session.run("uv", "build", "--quiet", "--out-dir", str(out / project.name), str(project))
        else:
            session.run("python", "-m", "build", "--outdir", str(out / project.name), str(project), silent=True)
    artifacts = sorted([*out.glob("*/*.whl"), *out.glob("*/*.tar.gz")])
    session.run("twine", "check", "--strict", *map(str, artifacts))
    pytest(session, "tests/packaging", env={"PAYPROC_DIST_DIR": str(out)})


@nox.session(python=ANY_PYTHON, tags=["checks"])
def lint(session: nox.Session) -> None:
    """ruff over the whole repository (each distribution's own config applies)."""
    session.install(RUFF)
    session.run("ruff", "check", *session.posargs, ".")


@nox.session(python=ANY_PYTHON, tags=["checks"])
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the core's public API (the ``payproc`` package) and on
    the backends the kit generates."""
    # pytest: payproc.testing (the conformance suite) is part of the public API.
    session.install(MYPY, "pytest>=7.4", "httpx>=0.25", f"payproc[postgres,web] @ {Path(build_wheel(session, CORE)).as_uri()}")
    session.run("mypy", *session.posargs)
    # What `payproc new-backend` writes (both templates) type-checks as strictly: it ships py.typed.
    kit = Path(session.create_tmp()).resolve() / "kit"
    shutil.rmtree(kit, ignore_errors=True)
    kit.mkdir(parents=True)
    session.run("python", "-c", "import sys; from payproc.kit import create_backend; "
                "create_backend('acme', sys.argv[1]); create_backend('acme_redirect', sys.argv[1], redirect=True)",
                str(kit))
    session.run("mypy", "--strict", str(kit / "payproc-acme" / "src"), str(kit / "payproc-acme-redirect" / "src"))


@nox.session(python=ANY_PYTHON, tags=["checks"])
def demo(session: nox.Session) -> None:
    """``payproc demo`` in an empty directory, as a newcomer runs it."""
    install_dists(session, ("fake",), requirements=())
    workdir = Path(session.create_tmp()).resolve() / "demo"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    session.chdir(workdir)
    session.run("payproc", "backends")
    session.run("payproc", "demo", "--db", str(workdir / "demo.sqlite3"))
    session.run("payproc", "charges", "--database-url", f"sqlite:///{workdir / 'demo.sqlite3'}")


@nox.session(python=ANY_PYTHON, tags=["tests"])
def web(session: nox.Session) -> None:
    """The HTTP endpoints and the checkout page, in a real browser (Debian's Chromium)."""
    install_dists(session, ("fake",), extras="web", requirements=TEST_REQUIREMENTS + WEB_TEST_REQUIREMENTS)
    pytest(session, "tests/web")


@nox.session(python=ANY_PYTHON, default=False)
def bench(session: nox.Session) -> None:
    """The benchmarks (benchmarks/README.md: ``nox -s bench -- --quick``); not in the default run."""
    install_dists(session, tuple(PLUGINS), extras="postgres,celery",
                  requirements=("-r", str(ROOT / "benchmarks" / "requirements.txt")))
    session.run("python", str(ROOT / "benchmarks" / "run.py"), *session.posargs)
