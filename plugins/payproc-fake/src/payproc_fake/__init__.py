"""payproc-fake: the reference payproc backend.

It needs no processor SDK and makes no network call: a simulated processor
"server" (:mod:`payproc_fake.processor`) keeps charges, refunds, customers,
payouts and disputes in memory, per ``ACCOUNT``, for the life of the process.
It is the default backend (``PROCESSOR.BACKEND = "fake"``), the one the core's
flow tests, the demo and the benchmarks run on, and the model to copy when
writing a backend for a real processor.

Test tokens (the browser "tokenizes" a card into one of these):

=========================== ==================================================
token                       what the fake processor does
=========================== ==================================================
``tok_visa``, any other     succeeds: last4 ``4242``, brand ``visa``, expires
``tok_…`` not listed        the 1st of this month next year, name ``Joe Test``
``tok_decline``             CardError ``card_declined`` (a failed ``ch_fake_…``
                            charge is recorded and named in the error)
``tok_expired``             CardError ``expired_card`` (failed charge recorded)
``tok_insufficient_funds``  CardError ``insufficient_funds`` (failed charge)
``tok_processor_error``     ProcessorError: refused, nothing charged
``tok_setup_error``         ProcessorSetupError naming the provider
``tok_revoked``             ProcessorSetupError with ``revoked=True``
``tok_timeout``             the charge IS made, then OutcomeUnknown (answer
                            lost); ``retrieve_charge`` finds it succeeded
``tok_unreachable``         OutcomeUnknown and nothing made (``retrieve_charge``
                            by idempotency key answers NOT_FOUND)
``tok_mismatch``            the processor charges and answers amount + 1
``tok_visa_chargeDeclined`` stores as a card on file, but every charge on it
                            is declined (``card_declined``)
``cus_fake_…``              charge that customer's card on file
13 to 19 digits             refused with CardDataRefused (never echoed)
=========================== ==================================================

Faults for reliability tests: ``payproc_fake.processor.get_account(name)
.fail_next("unreachable" | "timeout" | "unavailable", ...)``.

Importing this package is cheap on purpose: it is loaded on every default run.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
