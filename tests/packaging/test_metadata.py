"""Each distribution's built artifacts say what a user installs.

The artifacts are those ``nox -s packaging`` built (``twine check --strict``
runs on them first); these tests read their metadata the way pip does, from
the files, so a mistake in a pyproject.toml or a build setting shows here and
not on PyPI.
"""

from __future__ import annotations

import configparser
import email.message
import email.parser
import re
import tarfile
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version
from payproc_dists import CORE, DISTRIBUTIONS, PLUGINS, Distribution, core_version

PYTHONS = ("3.10", "3.11", "3.12", "3.13")
LICENSE = "BSD-2-Clause"

ids = [dist.name for dist in DISTRIBUTIONS]


def artifact(dist_dir: Path, dist: Distribution, pattern: str) -> Path:
    found = sorted((dist_dir / dist.directory.name).glob(pattern))
    assert len(found) == 1, f"expected one {pattern} for {dist.name}, found {found}"
    return found[0]


def wheel_of(dist_dir: Path, dist: Distribution) -> zipfile.ZipFile:
    return zipfile.ZipFile(artifact(dist_dir, dist, "*.whl"))


def dist_info(wheel: zipfile.ZipFile, name: str) -> str:
    (path,) = [item for item in wheel.namelist() if re.fullmatch(rf"[^/]+\.dist-info/{re.escape(name)}", item)]
    return wheel.read(path).decode("utf-8")


def metadata(dist_dir: Path, dist: Distribution) -> email.message.Message:
    with wheel_of(dist_dir, dist) as wheel:
        return email.parser.Parser().parsestr(dist_info(wheel, "METADATA"))


def requirements(meta: email.message.Message) -> dict[str, Requirement]:
    """Requires-Dist by distribution name (base dependencies, not extras)."""
    found = {}
    for line in meta.get_all("Requires-Dist") or []:
        requirement = Requirement(line)
        if requirement.marker is not None and "extra" in str(requirement.marker):
            continue
        found[canonicalize_name(requirement.name)] = requirement
    return found


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=ids)
def test_name_version_and_python_requirement(dist_dir: Path, dist: Distribution) -> None:
    meta = metadata(dist_dir, dist)
    assert meta["Name"] == dist.name
    expected = core_version() if dist is CORE else dist.project["version"]
    assert meta["Version"] == expected
    assert artifact(dist_dir, dist, "*.whl").name == f"{dist.package}-{expected}-py3-none-any.whl"
    assert SpecifierSet(meta["Requires-Python"]) == SpecifierSet(">=3.10")


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=ids)
def test_classifiers_match_the_tested_pythons_and_typing(dist_dir: Path, dist: Distribution) -> None:
    classifiers = set(metadata(dist_dir, dist).get_all("Classifier") or [])
    declared = {c.rsplit(" :: ", 1)[1] for c in classifiers if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)}
    assert declared == set(PYTHONS), "the Python classifiers must be the versions nox tests"
    assert "Typing :: Typed" in classifiers


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=ids)
def test_license(dist_dir: Path, dist: Distribution) -> None:
    meta = metadata(dist_dir, dist)
    assert (meta["License-Expression"] or meta["License"]) == LICENSE
    with wheel_of(dist_dir, dist) as wheel:
        licenses = [name for name in wheel.namelist() if re.fullmatch(r"[^/]+\.dist-info/(licenses/)?LICENSE", name)]
        assert licenses, f"{dist.name}'s wheel carries no LICENSE file"
        assert "BSD" in wheel.read(licenses[0]).decode("utf-8")


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=ids)
def test_readme_is_the_long_description(dist_dir: Path, dist: Distribution) -> None:
    meta = metadata(dist_dir, dist)
    assert meta["Description-Content-Type"].startswith("text/markdown")
    readme = (dist.directory / "README.md").read_text(encoding="utf-8")
    assert meta.get_payload().strip() == readme.strip()
    assert len(readme.split()) >= 20, f"{dist.name}'s README is too short to tell a user what it is"


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=ids)
def test_wheel_holds_the_package_and_py_typed_only(dist_dir: Path, dist: Distribution) -> None:
    with wheel_of(dist_dir, dist) as wheel:
        names = wheel.namelist()
    assert f"{dist.package}/py.typed" in names
    assert f"{dist.package}/__init__.py" in names
    top_level = {name.split("/", 1)[0] for name in names if not name.split("/", 1)[0].endswith(".dist-info")}
    assert top_level == {dist.package}, f"unexpected top-level entries in the wheel: {top_level - {dist.package}}"
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=ids)
def test_sdist_builds_what_the_wheel_holds(dist_dir: Path, dist: Distribution) -> None:
    version = metadata(dist_dir, dist)["Version"]
    sdist = artifact(dist_dir, dist, "*.tar.gz")
    assert sdist.name == f"{dist.package}-{version}.tar.gz"
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for required in ("pyproject.toml", "README.md", "LICENSE", "PKG-INFO", f"src/{dist.package}/py.typed"):
        assert required in names, f"{dist.name}'s sdist lacks {required}"


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=ids)
def test_every_dependency_has_a_lower_bound(dist_dir: Path, dist: Distribution) -> None:
    """Lower bounds are what the ``lowest`` session proves; a bare name proves nothing."""
    meta = metadata(dist_dir, dist)
    for line in meta.get_all("Requires-Dist") or []:
        requirement = Requirement(line)
        operators = {spec.operator for spec in requirement.specifier}
        assert operators & {">=", "==", "~=", ">"}, f"{dist.name}: {line!r} has no lower bound"


@pytest.mark.parametrize("dist", PLUGINS, ids=[dist.name for dist in PLUGINS])
def test_plugin_depends_on_this_core_series(dist_dir: Path, dist: Distribution) -> None:
    """A plugin accepts the core it is released with and refuses the next
    minor series, where the contract may change."""
    requirement = requirements(metadata(dist_dir, dist))["payproc"]
    core = Version(core_version())
    assert core in requirement.specifier
    assert Version(f"{core.major}.{core.minor + 1}") not in requirement.specifier
    assert not requirement.extras


@pytest.mark.parametrize("dist", [d for d in PLUGINS if d.sdk], ids=[d.name for d in PLUGINS if d.sdk])
def test_processor_sdk_has_an_upper_bound(dist_dir: Path, dist: Distribution) -> None:
    """Processor SDKs change their API across major releases: a plugin states
    the releases it was tested with, and nothing after."""
    assert dist.sdk is not None
    requirement = requirements(metadata(dist_dir, dist))[canonicalize_name(dist.sdk)]
    assert any(spec.operator in ("<", "<=", "~=", "==") for spec in requirement.specifier), str(requirement)


@pytest.mark.parametrize("dist", PLUGINS, ids=[dist.name for dist in PLUGINS])
def test_plugin_registers_its_backend(dist_dir: Path, dist: Distribution) -> None:
    with wheel_of(dist_dir, dist) as wheel:
        entry_points = configparser.ConfigParser(delimiters=("=",))
        entry_points.read_string(dist_info(wheel, "entry_points.txt"))
        assert dict(entry_points["payproc.backends"]) == {
            dist.backend: entry_points["payproc.backends"][dist.backend]
        }, "one backend per distribution, named like it"
        module, _, attribute = entry_points["payproc.backends"][dist.backend].partition(":")
        assert module.split(".")[0] == dist.package and attribute, entry_points["payproc.backends"][dist.backend]
        assert f"{module.replace('.', '/')}.py" in wheel.namelist()
        assert not [group for group in entry_points.sections() if group not in ("payproc.backends", "payproc.plugins")]


def test_core_installs_the_command_and_the_pytest_plugin(dist_dir: Path) -> None:
    with wheel_of(dist_dir, CORE) as wheel:
        entry_points = configparser.ConfigParser(delimiters=("=",))
        entry_points.read_string(dist_info(wheel, "entry_points.txt"))
        assert entry_points["console_scripts"]["payproc"] == "payproc.cli:main"
        assert entry_points["pytest11"]["payproc"] == "payproc.testing.plugin"
        assert "payproc.backends" not in entry_points, "the core ships no backend: payproc-fake is one"
        assert "payproc/testing/plugin.py" in wheel.namelist()


def test_core_extras(dist_dir: Path) -> None:
    meta = metadata(dist_dir, CORE)
    assert {"postgres", "web"} <= set(meta.get_all("Provides-Extra") or [])
    base = requirements(meta)
    assert not {"stripe", "razorpay", "rave-python"} & set(base), "the core must not depend on a processor SDK"
