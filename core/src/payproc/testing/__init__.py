"""payproc.testing: the conformance suite any backend runs from its own tests."""
