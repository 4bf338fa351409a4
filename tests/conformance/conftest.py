"""Tests of the conformance suite itself: pytester runs the suite against
backends with one defect each (``broken_backends.py``)."""

pytest_plugins = ["pytester"]
