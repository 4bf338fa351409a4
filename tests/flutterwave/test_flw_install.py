"""What ``pip install payproc-flutterwave`` brings: httpx, and no processor
SDK; rave_python only with the ``[rave]`` extra (the legacy v2 path)."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os

import pytest
from packaging.requirements import Requirement


def _requirements() -> list[Requirement]:
    return [Requirement(text) for text in importlib.metadata.requires("payproc-flutterwave") or ()]


def test_the_default_install_needs_httpx_and_no_sdk():
    default = {req.name.lower().replace("_", "-") for req in _requirements() if req.marker is None}
    assert default == {"payproc", "httpx"}


def test_rave_python_is_only_in_the_rave_extra():
    rave = [req for req in _requirements() if req.name.lower().replace("_", "-") == "rave-python"]
    assert rave and all(req.marker is not None and req.marker.evaluate({"extra": "rave"}) for req in rave)
    assert not any(req.marker.evaluate({"extra": ""}) for req in rave)
    assert "rave" in (importlib.metadata.metadata("payproc-flutterwave").get_all("Provides-Extra") or [])


@pytest.mark.skipif(os.environ.get("PAYPROC_ISOLATED_BACKEND") != "flutterwave",
                    reason="only the flutterwave nox session installs payproc-flutterwave alone, without extras")
def test_a_default_install_has_no_rave_python():
    assert importlib.util.find_spec("rave_python") is None
    assert importlib.util.find_spec("httpx") is not None
