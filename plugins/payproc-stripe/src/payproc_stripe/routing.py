"""Which Stripe account each request goes to: the seed's mode table.

| MODE    | platform keys | plan of   | card requests   | charge requests                              |
|---------|---------------|-----------|-----------------|----------------------------------------------|
| LOCAL   | no            | any       | platform        | platform                                     |
| LOCAL   | yes           | any       | broker          | broker                                       |
| FORWARD | no            | broker    | platform        | platform                                     |
| FORWARD | no            | provider  | platform        | platform, ``transfer_data.destination``      |
| FORWARD | yes           | broker    | broker          | broker                                       |
| FORWARD | yes           | provider  | broker          | broker, ``transfer_data.destination``        |
| REMOTE  | no            | broker    | broker          | platform                                     |
| REMOTE  | any           | provider  | broker          | provider (direct charge)                     |
| REMOTE  | yes           | broker    | broker          | broker                                       |

"broker" and "provider" mean the profile's connected account (its
``deposit_key``) named in the ``Stripe-Account`` header. Payout, balance and
bank requests go to the provider's account outside LOCAL mode.
"""

from __future__ import annotations

from dataclasses import dataclass

from payproc.errors import ProcessorSetupError
from payproc.types import Party

from .settings import Mode, StripeSettings

__all__ = ["Route", "card_route", "charge_route", "transfer_route"]


@dataclass(frozen=True, slots=True)
class Route:
    """Where a request lands.

    ``account`` goes in the ``Stripe-Account`` header (``None``: the account
    of ``PRIV_KEY``); ``destination`` is ``transfer_data.destination``;
    ``party`` is the profile whose connected account is used, named in
    errors (and whose keys are cleared when Stripe says access was revoked).
    """

    account: str | None = None
    destination: str | None = None
    party: str | None = None

    @property
    def takes_application_fee(self) -> bool:
        """Stripe accepts ``application_fee_amount`` only on direct or destination charges."""
        return bool(self.account or self.destination)

    def options(self, idempotency_key: str | None = None) -> dict[str, str]:
        """Request options for the SDK."""
        options: dict[str, str] = {}
        if self.account:
            options["stripe_account"] = self.account
        if idempotency_key:
            options["idempotency_key"] = idempotency_key
        return options


def connected_account(party: Party, why: str) -> str:
    """``party``'s connected account, or a setup error naming it."""
    account = party.keys.deposit_key
    if not account:
        raise ProcessorSetupError(
            f"{party.slug} is not connected to a Stripe account ({why}).", party.slug
        )
    return account


def _on(party: Party, why: str) -> Route:
    return Route(account=connected_account(party, why), party=party.slug)


def is_provider_plan(provider: Party, broker: Party) -> bool:
    """True when the plan belongs to someone other than the broker."""
    return not provider.is_broker and provider.slug != broker.slug


def card_route(settings: StripeSettings, broker: Party) -> Route:
    """Where customers, SetupIntents and PaymentMethods live."""
    if settings.USE_PLATFORM_KEYS:
        return _on(broker, "USE_PLATFORM_KEYS")
    if settings.MODE == Mode.REMOTE:
        return _on(broker, "REMOTE")
    return Route()


def charge_route(settings: StripeSettings, provider: Party, broker: Party) -> Route:
    """Where PaymentIntents, charges and refunds live."""
    platform = settings.USE_PLATFORM_KEYS
    provider_plan = is_provider_plan(provider, broker)
    if settings.MODE == Mode.REMOTE and provider_plan:
        return _on(provider, "REMOTE")
    base = _on(broker, "USE_PLATFORM_KEYS") if platform else Route()
    if settings.MODE == Mode.FORWARD and provider_plan:
        destination = connected_account(provider, "FORWARD")
        return Route(account=base.account, destination=destination, party=base.party)
    return base


def transfer_route(settings: StripeSettings, provider: Party) -> Route:
    """Where payouts, balances and bank accounts live."""
    if settings.MODE == Mode.LOCAL:
        return Route()
    return _on(provider, settings.MODE.name)
