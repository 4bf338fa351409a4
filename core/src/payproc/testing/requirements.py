"""Which suite tests apply to a backend, and why the others skip.

Modelled on SQLAlchemy's ``testing/requirements.py``: a test states what it
needs, the backend's test set-up states what it has, and a test whose needs
are not met is skipped *with the reason*. Two kinds of needs:

* backend hooks (:func:`requires`): the harness's ``capabilities``. A hook
  left out skips its tests with the backend's own ``unsupported`` reason
  when it gives one. The suite separately checks that ``capabilities`` are
  exactly the backend's hookimpls, so leaving a hook out cannot hide it.
* simulation features (:func:`needs`): what the harness and the processor's
  test server can stage, from :data:`FEATURES`. A harness lists what it
  cannot do in ``limitations`` with a reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

__all__ = ["FEATURES", "needs", "requires", "skip_reason"]

REQUIRES_MARK = "payproc_requires"
NEEDS_MARK = "payproc_needs"

#: Simulation features a harness may lack, and what each one stages.
FEATURES: Mapping[str, str] = {
    "decline": "a card the processor declines (pay(outcome='decline'), card_token(outcome='decline'))",
    "unknown_outcome": "a payment the processor makes while its answer is lost (pay(outcome='unknown'))",
    "signed_body": "callbacks whose signature covers the body, so a tampered body is refused",
    "stale_webhook": "a callback signed at an old timestamp that the backend must refuse",
    "dispute_webhook": "dispute.created callbacks",
    "lost_answer": "a refund or payout the processor makes while its answer is lost (lose_next_answer())",
    "customer_action": "a payment the processor answers 'requires_action' for (pay(outcome='challenge')) and "
                       "the customer's part of it on the processor's page (challenge())",
    "paid_before_return": "a payment the processor completes, and reports by webhook, before the customer's "
                          "return (3-D Secure answered at the processor); not where the return itself takes "
                          "the money (a PayPal capture)",
    "card_receipt": "a receipt with the card's last four digits (not a wallet's account)",
}

#: Features staged by an optional harness method: a harness without it
#: cannot stage them (the test skips and says so).
FEATURE_METHODS: Mapping[str, str] = {"lost_answer": "lose_next_answer", "customer_action": "challenge"}


def requires(*hooks: str) -> pytest.MarkDecorator:
    """Mark a test (or class) as needing backend hooks ``hooks``."""
    mark: pytest.MarkDecorator = getattr(pytest.mark, REQUIRES_MARK)(*hooks)
    return mark


def needs(*features: str) -> pytest.MarkDecorator:
    """Mark a test (or class) as needing simulation ``features``."""
    unknown = set(features) - set(FEATURES)
    if unknown:
        raise ValueError(f"unknown suite features {sorted(unknown)}; known: {sorted(FEATURES)}")
    mark: pytest.MarkDecorator = getattr(pytest.mark, NEEDS_MARK)(*features)
    return mark


def _unsupported_reasons(backend: str) -> Mapping[str, str]:
    from ..discovery import load_backend_class

    try:
        cls, _entry = load_backend_class(backend)
    except Exception:  # noqa: BLE001 - the capability test reports a backend that does not load
        return {}
    return getattr(cls, "unsupported", None) or {}


def skip_reason(item: pytest.Item, harness: Any) -> str | None:
    """Why ``item`` does not apply to ``harness``'s backend, or ``None``."""
    declared = frozenset(harness.capabilities)
    missing = [hook for mark in item.iter_markers(REQUIRES_MARK) for hook in mark.args if hook not in declared]
    if missing:
        reasons = _unsupported_reasons(harness.backend)
        explained = [f"{hook} ({reasons[hook]})" if hook in reasons else hook for hook in missing]
        return f"backend {harness.backend!r} does not declare {', '.join(explained)}"
    limitations: Mapping[str, str] = getattr(harness, "limitations", None) or {}
    for mark in item.iter_markers(NEEDS_MARK):
        for feature in mark.args:
            if feature in limitations:
                return f"the {harness.backend!r} test set-up cannot stage {feature}: {limitations[feature]}"
            method = FEATURE_METHODS.get(feature)
            if method is not None and not callable(getattr(harness, method, None)):
                return f"the {harness.backend!r} test set-up cannot stage {feature}: its harness has no {method}()"
    return None
