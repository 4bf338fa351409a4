"""The conformance suite against the razorpay backend (harness: harness.py,
fixture ``payproc_harness`` in conftest.py)."""

from payproc.testing.suite import *  # noqa: F403
