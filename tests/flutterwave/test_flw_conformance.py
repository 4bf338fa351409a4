"""The conformance suite against the Flutterwave v3 backend (harness:
harness.py, fixture ``payproc_harness`` in conftest.py).

Flutterwave's ``verif-hash`` header is a shared secret, not a signature of
the body, so the suite's tampered-body test skips (the harness declares the
``signed_body`` limitation). What the backend does instead, re-reading the
transaction from the API so that a changed body under the right hash
changes nothing, is checked in test_flw_webhooks.py.
"""

from payproc.testing.suite import *  # noqa: F403
