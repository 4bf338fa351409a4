"""Finding installed backends without importing them, and loading one.

Entry points (group ``payproc.backends``) are read from package metadata, so
``payproc backends`` can list every installed backend, its distribution and
version without importing any processor SDK. Only the backend that settings
select is imported.
"""

from __future__ import annotations

import importlib
import warnings
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from ._version import CONTRACT_VERSION
from .errors import BackendNotFound, ConfigurationError, ContractMismatch, PayprocDeprecationWarning

__all__ = [
    "BACKEND_GROUP",
    "OBSERVER_GROUP",
    "BackendEntry",
    "installed_backends",
    "load_backend_class",
    "load_observers",
]

BACKEND_GROUP = "payproc.backends"
OBSERVER_GROUP = "payproc.plugins"

#: The backends this project publishes, for install hints.
FIRST_PARTY = ("fake", "stripe", "razorpay", "flutterwave")

#: djaodjin-saas class paths and the entry point that replaces each.
LEGACY_PATHS = {
    "saas.backends.stripe_processor.StripeBackend": "stripe",
    "saas.backends.stripe_processor.base.StripeBackend": "stripe",
    "saas.backends.razorpay_processor.RazorpayBackend": "razorpay",
    "saas.backends.flutterwave_processor.FlutterwaveBackend": "flutterwave",
    "saas.backends.fake_processor.FakeProcessorBackend": "fake",
}


@dataclass(frozen=True)
class BackendEntry:
    """An installed backend, as its package metadata describes it."""

    name: str
    value: str
    distribution: str
    version: str
    entry_point: EntryPoint | None = None

    @property
    def install_hint(self) -> str:
        return f"pip install {self.distribution}"


def installed_backends() -> dict[str, BackendEntry]:
    """Every backend registered under ``payproc.backends``, by name."""
    found: dict[str, BackendEntry] = {}
    for entry in entry_points(group=BACKEND_GROUP):
        # One read of the METADATA file per distribution (``dist.version``
        # would parse it again).
        metadata = entry.dist.metadata if entry.dist is not None else None
        found[entry.name] = BackendEntry(
            name=entry.name,
            value=entry.value,
            distribution=metadata["Name"] if metadata is not None else "?",
            version=metadata["Version"] if metadata is not None else "?",
            entry_point=entry,
        )
    return found


def _install_hint(name: str) -> str:
    return (f"pip install payproc-{name} (from a clone of the payproc repository: "
            f"pip install -e plugins/payproc-{name})")


def _not_found(name: str, installed: dict[str, BackendEntry]) -> BackendNotFound:
    """Not installed (a first-party backend: how to install it) or unknown
    (the closest name, and no made-up package to install)."""
    import difflib

    names = ", ".join(sorted(installed)) or "none"
    if name in FIRST_PARTY:
        return BackendNotFound(
            f"payment backend {name!r} is not installed: {_install_hint(name)}. Installed backends: {names}"
        )
    close = difflib.get_close_matches(name, sorted({*installed, *FIRST_PARTY}), n=1)
    hint = ""
    if close and close[0] in installed:
        hint = f" Did you mean {close[0]!r}?"
    elif close:
        hint = f" Did you mean {close[0]!r}? It is not installed: {_install_hint(close[0])}."
    return BackendNotFound(f"unknown payment backend {name!r}.{hint} Installed backends: {names}")


def resolve_backend_name(name: str) -> str:
    """Map djaodjin-saas dotted paths to entry-point names, with a
    :class:`~payproc.errors.PayprocDeprecationWarning` (shown by default;
    ``payproc check`` reports it)."""
    if name in LEGACY_PATHS:
        new = LEGACY_PATHS[name]
        warnings.warn(
            f"PROCESSOR.BACKEND {name!r} is a djaodjin-saas path, deprecated: use {new!r}",
            PayprocDeprecationWarning,
            stacklevel=3,
        )
        return new
    return name


def load_backend_class(name: str) -> tuple[type[Any], BackendEntry | None]:
    """Import the backend named ``name`` (an entry-point name or a
    ``module:Class`` path) and check its contract range."""
    name = resolve_backend_name(name)
    entry: BackendEntry | None = None
    if ":" in name:
        module_name, _, attr = name.partition(":")
        try:
            obj = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as error:
            raise BackendNotFound(f"cannot import backend {name!r}: {error}") from error
    else:
        installed = installed_backends()
        entry = installed.get(name)
        if entry is None or entry.entry_point is None:
            raise _not_found(name, installed)
        try:
            obj = entry.entry_point.load()
        except Exception as error:  # a broken plugin: say which distribution
            raise ConfigurationError(
                f"backend {name!r} from {entry.distribution} {entry.version} failed to import: "
                f"{type(error).__name__}: {error}"
            ) from error
    check_contract(obj, name)
    return obj, entry


def check_contract(backend_cls: Any, name: str) -> None:
    """Refuse a backend whose declared contract range excludes ours."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import Version

    declared = getattr(backend_cls, "contract", None)
    if not declared:
        raise ContractMismatch(
            f"backend {name!r} does not declare the payproc contract it supports "
            f"(a 'contract' attribute such as '>=1.0,<2'); this core speaks {CONTRACT_VERSION}"
        )
    try:
        spec = SpecifierSet(declared)
    except InvalidSpecifier:
        raise ContractMismatch(f"backend {name!r} declares an invalid contract range {declared!r}") from None
    if Version(CONTRACT_VERSION) not in spec:
        raise ContractMismatch(
            f"backend {name!r} supports payproc contract {declared}, "
            f"but this payproc speaks {CONTRACT_VERSION}: upgrade one of them"
        )


def load_observers() -> tuple[list[tuple[str, Any]], list[str]]:
    """Import every observer plugin (group ``payproc.plugins``).

    Returns the loaded ones and the error messages of those that failed; a
    broken observer does not stop the others.
    """
    loaded: list[tuple[str, Any]] = []
    errors: list[str] = []
    for entry in entry_points(group=OBSERVER_GROUP):
        try:
            loaded.append((entry.name, entry.load()))
        except Exception as error:
            dist = entry.dist.metadata["Name"] if entry.dist is not None else "?"
            errors.append(f"observer {entry.name!r} from {dist} failed to import: {type(error).__name__}: {error}")
    return loaded, errors
