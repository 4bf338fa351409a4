"""Building Stripe backends and a Connect "world" for the tests (a module with
a unique name: test directories' conftests would shadow each other)."""

from __future__ import annotations

from typing import Any

from fakestripe_server import FakeStripe
from payproc.backend import Backend, load_backend
from payproc.settings import BackendSettings
from payproc.types import Party, ProcessorKeys
from stripe_harness import StripeHarness


def make_backend(settings: dict[str, Any]) -> Backend:
    return load_backend(BackendSettings(**settings), observers=False)


class World:
    """A platform, a broker and a provider with connected accounts, a subscriber."""

    def __init__(self, server: FakeStripe, *, mode: int = 0, use_platform_keys: bool = False,
                 broker_on_platform: bool = False) -> None:
        self.server = server
        self.harness = StripeHarness(server, mode=mode, use_platform_keys=use_platform_keys)
        self.broker_account = server.platform if broker_on_platform else server.state.connect("broker")
        self.provider_account = server.state.connect("provider")
        self.broker = Party("broker", "Broker Inc", keys=ProcessorKeys(deposit_key=self.broker_account.id),
                            is_broker=True)
        self.provider = Party("provider", "Cowork Provider", "p@example.com",
                              keys=ProcessorKeys(deposit_key=self.provider_account.id))
        self.subscriber = Party("alice", "Alice", "alice@example.com")
        self.backend = make_backend(dict(self.harness.processor_settings()))

    def call(self, operation: str, **kwargs: Any) -> Any:
        return self.backend.call(operation, **kwargs)
