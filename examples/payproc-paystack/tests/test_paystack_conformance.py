"""payproc's conformance suite, run against this backend."""

from payproc.testing.suite import *  # noqa: F403
