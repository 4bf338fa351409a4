"""Render the backend template into a new distribution directory."""

from __future__ import annotations

import re
import sys
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # importlib.abc.Traversable is deprecated and gone in Python 3.14.
    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:
        from importlib.abc import Traversable

from .._version import CONTRACT_VERSION, __version__
from ..errors import InvalidInput

__all__ = ["create_backend", "names_for"]

#: The hooks the template writes; every other backend hook is documented,
#: commented out, and listed in ``unsupported``.
WRITTEN = frozenset({
    "settings_model", "configure", "browser_integration", "get_payment_context", "create_payment",
    "retrieve_charge", "refund_charge", "charge_distribution", "parse_webhook",
})

_NAME = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_SUFFIX = ".tmpl"


def names_for(name: str) -> dict[str, str]:
    """The three names of a backend (distribution, import package, entry
    point) and the others the template uses."""
    if not _NAME.fullmatch(name):
        raise InvalidInput(
            f"backend name {name!r} must be lower-case letters and digits (underscores between words), "
            "starting with a letter: it is the entry point name and part of the package name"
        )
    major = int(CONTRACT_VERSION.split(".")[0])
    core_major, core_minor = (int(part) for part in __version__.split(".")[:2])
    return {
        "name": name,
        "distribution": f"payproc-{name.replace('_', '-')}",
        "package": f"payproc_{name}",
        "Class": "".join(part.title() for part in name.split("_")) + "Backend",
        "Title": " ".join(part.title() for part in name.split("_")),
        "SIGNATURE_HEADER": f"x-{name.replace('_', '-')}-signature",
        "contract": f">={CONTRACT_VERSION},<{major + 1}",
        "core_range": f">={core_major}.{core_minor},<{core_major}.{core_minor + 1}"
        if core_major == 0 else f">={core_major}.{core_minor},<{core_major + 1}",
    }


def _unwritten_hooks() -> tuple[str, str]:
    """Commented-out stubs of the hooks the template does not write, with
    their contract docstrings, and the ``unsupported`` entries."""
    import inspect
    import textwrap

    from .. import hookspecs

    stubs, reasons = [], []
    for hook in hookspecs.BACKEND_HOOKS:
        if hook in WRITTEN:
            continue
        spec = getattr(hookspecs, hook)
        signature = inspect.signature(spec)
        params = ", ".join(["self"] + [f"{p.name}: {p.annotation}" for p in signature.parameters.values()])
        if len(params) + len(hook) + len(str(signature.return_annotation)) > 90:
            params = "\n        " + ",\n        ".join(params.split(", ")) + ",\n"
        doc = textwrap.indent(textwrap.dedent("    " + (spec.__doc__ or "").strip()), "    ").rstrip()
        stub = f"@hookimpl\ndef {hook}({params}) -> {signature.return_annotation}:\n    \"\"\"{doc.strip()}\n    \"\"\"\n"
        stubs.append(textwrap.indent(stub, "    # ", predicate=lambda line: True).replace("# \n", "#\n"))
        reasons.append(f'        "{hook}": "not written yet",')
    return "\n".join(stubs).rstrip() + "\n", "\n".join(reasons)


def _render(text: str, names: dict[str, str]) -> str:
    for key, value in names.items():
        text = text.replace("{{" + key + "}}", value)
    leftover = re.search(r"\{\{\w+\}\}", text)
    if leftover:  # pragma: no cover - a template error
        raise RuntimeError(f"template placeholder {leftover.group()} has no value")
    return text


def _walk(node: Traversable, relative: Path) -> list[tuple[Path, Traversable]]:
    found = []
    for child in sorted(node.iterdir(), key=lambda item: item.name):
        if child.is_dir():
            if child.name != "__pycache__":
                found.extend(_walk(child, relative / child.name))
        elif child.name.endswith(_SUFFIX):
            found.append((relative / child.name[: -len(_SUFFIX)], child))
    return found


def create_backend(name: str, dest: Path, *, redirect: bool = False) -> Path:
    """Write the distribution ``payproc-<name>`` into ``dest`` and return its
    directory. Refuses to overwrite an existing directory, and a ``dest``
    that is not an existing directory. ``redirect``:
    the redirect-processor template (an order approved on the processor's
    page, captured on the return; webhooks verified by the processor's API),
    modelled on PayPal Orders v2."""
    names = names_for(name)
    if not Path(dest).is_dir():  # a mistyped --dest must not become a new directory tree
        raise InvalidInput(f"destination {dest} is not an existing directory: create it first, or choose another")
    names["unwritten_hooks"], names["unsupported"] = _unwritten_hooks()
    root = Path(dest) / names["distribution"]
    if root.exists():
        raise FileExistsError(f"{root} already exists: choose another name or destination")
    template = resources.files(__package__).joinpath("template_redirect" if redirect else "template")
    for relative, source in _walk(template, Path()):
        parts = [names["package"] if part == "package" else _render(part, names) for part in relative.parts]
        target = root.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_render(source.read_text(encoding="utf-8"), names), encoding="utf-8")
    return root
