from payproc.testing.suite import *  # noqa: F403
