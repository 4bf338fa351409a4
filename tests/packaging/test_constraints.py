"""``constraints/`` pins exactly the lower bounds the distributions declare.

The ``lowest`` nox session installs with these files; if a pin drifted from
its ``pyproject.toml``, that session would prove a bound nobody declared.
"""

from __future__ import annotations

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version
from payproc_dists import DISTRIBUTIONS, ROOT, Distribution

ids = [dist.name for dist in DISTRIBUTIONS]


def declared(dist: Distribution) -> list[Requirement]:
    project = dist.project
    lines = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        lines += extra
    return [Requirement(line) for line in lines]


def pins(dist: Distribution) -> dict[str, Requirement]:
    path = ROOT / "constraints" / f"{dist.name}.txt"
    found = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            found[canonicalize_name(requirement.name)] = requirement
    return found


def lower_bound(requirement: Requirement) -> Version | None:
    bounds = [Version(spec.version) for spec in requirement.specifier if spec.operator in (">=", "==", "~=")]
    return max(bounds) if bounds else None


def pinned_version(requirement: Requirement) -> Version:
    (spec,) = requirement.specifier
    assert spec.operator == "==", f"{requirement}: constraints pin with =="
    return Version(spec.version)


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=ids)
def test_every_lower_bound_is_pinned(dist: Distribution) -> None:
    pinned = pins(dist)
    for requirement in declared(dist):
        name = canonicalize_name(requirement.name)
        if name == "payproc":
            continue  # the core itself: the session installs the one built from this tree
        floor = lower_bound(requirement)
        assert floor is not None, f"{dist.name}: {requirement} declares no lower bound"
        assert name in pinned, f"constraints/{dist.name}.txt does not pin {name} (declared {requirement})"
        version = pinned_version(pinned[name])
        assert version in requirement.specifier, f"{name}=={version} is outside {requirement}"
        # The pin is the floor itself, or the first release of the floor's series
        # (iso4217>=1.11 was first released as 1.11.20220401).
        assert version.release[: len(floor.release)] == floor.release, (
            f"constraints/{dist.name}.txt pins {name}=={version} but {dist.directory.name}/pyproject.toml "
            f"declares {requirement}: change them together"
        )
        assert str(pinned[name].marker or "") == str(requirement.marker or "")


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=ids)
def test_nothing_else_is_pinned(dist: Distribution) -> None:
    """Only declared dependencies (and the packages their extras name, such as
    psycopg[binary] -> psycopg-binary) are pinned: transitive ones float."""
    allowed = set()
    for requirement in declared(dist):
        name = canonicalize_name(requirement.name)
        allowed.add(name)
        allowed.update(canonicalize_name(f"{name}-{extra}") for extra in requirement.extras)
    extra_pins = set(pins(dist)) - allowed
    assert not extra_pins, f"constraints/{dist.name}.txt pins undeclared dependencies: {sorted(extra_pins)}"


def test_one_file_per_distribution() -> None:
    files = {path.stem for path in (ROOT / "constraints").glob("*.txt")}
    assert files == {dist.name for dist in DISTRIBUTIONS}


def test_extra_packages_pinned_with_their_base() -> None:
    """psycopg-binary must be pinned at the same version as psycopg."""
    for dist in DISTRIBUTIONS:
        pinned = pins(dist)
        for requirement in declared(dist):
            name = canonicalize_name(requirement.name)
            for extra in requirement.extras:
                companion = canonicalize_name(f"{name}-{extra}")
                if companion in pinned:
                    assert pinned_version(pinned[companion]) == pinned_version(pinned[name])

