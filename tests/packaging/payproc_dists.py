"""The repository's distributions, as their sources declare them (imported by
the packaging tests; a module name of its own, unlike ``conftest``)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Distribution:
    """One of the repository's distributions, as its source declares it."""

    name: str  # distribution name, e.g. "payproc-stripe"
    package: str  # import package, e.g. "payproc_stripe"
    directory: Path
    backend: str | None  # entry-point name of a backend plugin, None for the core
    sdk: str | None  # the processor SDK distribution it wraps, if any

    @property
    def pyproject(self) -> dict[str, Any]:
        with (self.directory / "pyproject.toml").open("rb") as file:
            return tomllib.load(file)

    @property
    def project(self) -> dict[str, Any]:
        project: dict[str, Any] = self.pyproject["project"]
        return project


DISTRIBUTIONS = (
    Distribution("payproc", "payproc", ROOT / "core", None, None),
    Distribution("payproc-fake", "payproc_fake", ROOT / "plugins" / "payproc-fake", "fake", None),
    Distribution("payproc-stripe", "payproc_stripe", ROOT / "plugins" / "payproc-stripe", "stripe", "stripe"),
    Distribution("payproc-razorpay", "payproc_razorpay", ROOT / "plugins" / "payproc-razorpay", "razorpay", "razorpay"),
    # v3 over httpx: no processor SDK (rave_python only in the [rave] extra, bounded there).
    Distribution(
        "payproc-flutterwave", "payproc_flutterwave", ROOT / "plugins" / "payproc-flutterwave", "flutterwave", None,
    ),
)
CORE = DISTRIBUTIONS[0]
PLUGINS = DISTRIBUTIONS[1:]


def core_version() -> str:
    """The core's version, from the file hatchling reads it from."""
    namespace: dict[str, Any] = {}
    exec((CORE.directory / "src" / "payproc" / "_version.py").read_text(encoding="utf-8"), namespace)
    return str(namespace["__version__"])
