"""The conformance suite against the stripe backend (harness: harness.py,
fixture ``payproc_harness`` in conftest.py)."""

from payproc.testing.suite import *
