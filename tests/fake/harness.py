"""The conformance suite's harness for the fake backend.

The fake has no browser script and no server to start: "paying" is picking
the test token for the wanted outcome, the processor's webhook sender is
:func:`payproc_fake.webhooks.build_event`, and the backdoor is the simulated
processor account's :meth:`~payproc_fake.processor.Account.list_charges`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from payproc.hookspecs import BACKEND_HOOKS
from payproc.types import EventType, PaymentContext
from payproc_fake import processor
from payproc_fake.webhooks import build_event

__all__ = ["FakeHarness"]

#: Token the "browser" posts for each outcome the suite asks for.
PAY_TOKENS = {"success": "tok_visa", "decline": "tok_decline", "unknown": "tok_timeout", "challenge": "tok_3ds"}


class FakeHarness:
    """:class:`payproc.testing.harness.BackendHarness` for ``payproc-fake``."""

    backend = "fake"
    # every hook but the one the backend refuses with a reason (capture_charge)
    capabilities: frozenset[str] = frozenset(BACKEND_HOOKS) - {"capture_charge"}

    def __init__(self, account: str | None = None, webhook_secret: str = "whsec_fake_harness") -> None:
        self.account = account or f"acct_harness_{uuid.uuid4().hex[:12]}"
        self.webhook_secret = webhook_secret

    def close(self) -> None:
        """Drop the simulated account."""
        processor.reset(self.account)

    def processor_settings(self) -> Mapping[str, Any]:
        return {
            "BACKEND": self.backend,
            "ACCOUNT": self.account,
            "PUB_KEY": "pk_fake",
            "WEBHOOK_SECRET": self.webhook_secret,
        }

    def _token(self, outcome: str) -> str:
        try:
            return PAY_TOKENS[outcome]
        except KeyError:
            raise ValueError(f"unknown outcome {outcome!r}: expected one of {', '.join(PAY_TOKENS)}") from None

    def pay(
        self, context: PaymentContext, amount: int, currency: str, *, outcome: str = "success"
    ) -> tuple[str, Mapping[str, str]]:
        # The fake's page needs nothing from the context but its public key.
        if context.values.get("FAKE_PUB_KEY") is None:
            raise AssertionError("the payment context carries no FAKE_PUB_KEY")
        return self._token(outcome), {}

    def card_token(self, *, outcome: str = "success") -> str:
        return self._token(outcome)

    def webhook(
        self,
        type: EventType,
        charge_processor_key: str,
        *,
        amount: int | None = None,
        currency: str | None = None,
        event_id: str | None = None,
        secret: str | None = None,
        timestamp: int | None = None,
    ) -> tuple[bytes, Mapping[str, str]]:
        return build_event(
            type,
            charge_processor_key,
            secret=secret if secret is not None else self.webhook_secret,
            amount=amount,
            currency=currency,
            event_id=event_id,
            timestamp=timestamp,
        )

    def lose_next_answer(self, operation: str) -> None:
        """The processor carries out the next refund or payout; its answer is lost."""
        target = {"refund": "refund", "transfer": "create_payout"}[operation]
        processor.get_account(self.account).fail_next("timeout", operation=target)

    def challenge(
        self, charge_processor_key: str, next_action: Mapping[str, Any], *, outcome: str = "success"
    ) -> Mapping[str, str]:
        """The customer answers the challenge on the processor's page (right
        code for ``success``, a wrong one for ``fail``); the return carries
        the challenge id only."""
        from payproc_fake import actions

        challenge_id = next_action["values"]["challenge"]
        account = processor.get_account(self.account)
        found = actions.challenge_for(account, charge_processor_key)
        assert found is not None and found.id == challenge_id, "the next action names another challenge"
        actions.answer_challenge(account, challenge_id, actions.TEST_OTP if outcome == "success" else "000000")
        return {"challenge": challenge_id}

    def processor_charges(self, idempotency_key: str | None = None) -> list[Mapping[str, Any]]:
        return processor.get_account(self.account).list_charges(idempotency_key)
