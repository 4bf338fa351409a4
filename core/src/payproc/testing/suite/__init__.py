"""The conformance suite: import it into one test module of a backend's tests.

    # tests/test_<backend>_conformance.py (a module name unique in the repository)
    from payproc.testing.suite import *  # noqa: F403

and provide a ``payproc_harness`` fixture in that directory's conftest
(:class:`payproc.testing.harness.BackendHarness`). Every test class below then
runs against the backend; tests whose hooks or simulation features the
harness does not declare skip with the reason.
"""

from __future__ import annotations

from .test_capabilities import TestCapabilities
from .test_cards import TestCardOnFile
from .test_customer_action import TestCustomerAction
from .test_distribution import TestChargeDistribution
from .test_idempotency import TestIdempotency
from .test_one_charge import TestAwaitingCustomer, TestOneCharge
from .test_payments import TestPaymentContext, TestPayments
from .test_refunds import TestRefunds
from .test_secrets import TestSecrets
from .test_settling import TestMinimumAmount, TestPayoutSettling, TestRefundSettling
from .test_transfers import TestTransfers
from .test_unknown_outcome import TestUnknownOutcome
from .test_webhooks import TestWebhooks

__all__ = [
    "TestAwaitingCustomer",
    "TestCapabilities",
    "TestCardOnFile",
    "TestChargeDistribution",
    "TestCustomerAction",
    "TestIdempotency",
    "TestMinimumAmount",
    "TestOneCharge",
    "TestPaymentContext",
    "TestPayments",
    "TestPayoutSettling",
    "TestRefundSettling",
    "TestRefunds",
    "TestSecrets",
    "TestTransfers",
    "TestUnknownOutcome",
    "TestWebhooks",
]
