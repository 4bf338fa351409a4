"""The conformance suite against the stripe backend (harness: stripe_harness.py,
fixture ``payproc_harness`` in conftest.py)."""

from payproc.testing.suite import *
