"""The card on file: stored on the processor, referenced by a key on the
profile. A card update that the processor refuses leaves the old key."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import update

from ..db.models import Profile
from ..guards import refuse_card_data
from ..types import CardInfo, CardUpdate, Party
from . import _common as common

if TYPE_CHECKING:
    from .context import FlowContext


def _parties(app: FlowContext, customer: str, provider: str | None) -> tuple[Party, Party, Party]:
    with app.db.transaction() as session:
        cust = common.get_profile(session, customer)
        broker = common.get_profile(session, app.settings.BROKER)
        prov = common.get_profile(session, provider) if provider else broker
        return (common.to_party(cust), common.to_party(prov, is_broker=prov.id == broker.id),
                common.to_party(broker, is_broker=True))


def update_card(app: FlowContext, customer: str, token: str, *, provider: str | None = None) -> CardInfo:
    """Store the card behind ``token`` as ``customer``'s card on file."""
    refuse_card_data(token)
    subscriber, prov, broker = _parties(app, customer, provider)
    old = None
    if subscriber.keys.card_key:
        old = app.backend.call_optional("retrieve_card", subscriber=subscriber, broker=broker)
    result: CardUpdate = app.backend.call(
        "create_or_update_card", subscriber=subscriber, token=token, provider=prov, broker=broker)
    with app.db.transaction() as session:
        session.execute(update(Profile).where(Profile.slug == customer)
                        .values(processor_card_key=result.card_key, nb_renewal_attempts=0))
    if old is not None:
        app.backend.notify("card_updated", subscriber=subscriber, old_card=old, new_card=result.card)
    return result.card


def delete_card(app: FlowContext, customer: str) -> None:
    """Forget ``customer``'s card on file, on the processor and here."""
    subscriber, _prov, broker = _parties(app, customer, None)
    if subscriber.keys.card_key:
        app.backend.call("delete_card", subscriber=subscriber, broker=broker)
    with app.db.transaction() as session:
        session.execute(update(Profile).where(Profile.slug == customer).values(processor_card_key=None))


def retrieve_card(app: FlowContext, customer: str) -> CardInfo | None:
    """``customer``'s card on file as the processor describes it."""
    subscriber, _prov, broker = _parties(app, customer, None)
    if not subscriber.keys.card_key:
        return None
    result: CardInfo | None = app.backend.call("retrieve_card", subscriber=subscriber, broker=broker)
    return result
