"""Fill a database with payproc 0.1 — run by the FIRST RELEASE's interpreter.

``nox -s migrations`` installs payproc and payproc-fake as they were at commit
f291d5e (``git archive``) into a venv of their own and runs this script with
it, through 0.1's public API only: ``python make_first_release_data.py URL
STATE_FILE``. It leaves charges in every state 0.1 knows (created, done,
failed, disputed, lost), refunds, disputes, a payout, webhook events and
their ledger rows, and writes the simulated processor's account to
STATE_FILE: a real processor keeps its records across the application's
upgrade, and the test restores them so that the new code can settle and
refund the old charges against the same processor.

It must run on 0.1, so it imports nothing from the tests and nothing newer.
"""

from __future__ import annotations

import copyreg
import pickle
import sys

from payproc.app import Payproc
from payproc.errors import CardError, OutcomeUnknown
from payproc.settings import load_settings
from payproc.types import EventType, ProcessorKeys
from payproc_fake import processor
from payproc_fake.webhooks import build_event

ACCOUNT = "acct_first_release"
WEBHOOK_SECRET = "whsec_first_release_0123456789"


def main(url: str, state_file: str) -> None:
    app = Payproc(load_settings(DATABASE_URL=url, PROCESSOR={
        "BACKEND": "fake", "ACCOUNT": ACCOUNT, "WEBHOOK_SECRET": WEBHOOK_SECRET}))
    app.init_db()
    account = processor.get_account(ACCOUNT)
    app.add_profile("cowork", "Cowork Space Ltd.")
    app.add_profile("alice", "Alice Martin", "alice@example.com")
    app.add_profile("bob", "Bob Stone", "bob@example.com")
    app.set_processor_keys("cowork", ProcessorKeys(deposit_key="acct_fake_cowork"))

    # done, with the card kept on file, then a charge on the card on file
    app.checkout("alice", 2000, "usd", "tok_visa", provider="cowork", idempotency_key="fr-done",
                 remember_card=True, descr="Desk, January")
    app.checkout("alice", 1500, "usd", provider="cowork", idempotency_key="fr-card-on-file")
    # done, then refunded in part (payproc) and in part from the dashboard (webhook)
    refunded = app.checkout("bob", 3000, "eur", "tok_visa", provider="cowork", idempotency_key="fr-refunded")
    app.refund(refunded.id, 1000)
    app.handle_webhook(*account.refund_from_dashboard(refunded.processor_key, 500))
    # failed: the card was declined
    try:
        app.checkout("bob", 2500, "usd", "tok_decline", provider="cowork", idempotency_key="fr-failed")
    except CardError:
        pass
    # created: outcome unknown; the processor made the charge (timeout) or never got it (unreachable)
    for token, key in (("tok_timeout", "fr-created-made"), ("tok_unreachable", "fr-created-lost")):
        try:
            app.checkout("alice", 1200, "usd", token, provider="cowork", idempotency_key=key)
        except OutcomeUnknown:
            pass
    # disputed (open), lost, and a dispute won (back to done)
    disputed = app.checkout("bob", 4000, "usd", "tok_visa", provider="cowork", idempotency_key="fr-disputed")
    app.handle_webhook(*account.open_dispute(disputed.processor_key))
    lost = app.checkout("alice", 1800, "usd", "tok_visa", provider="cowork", idempotency_key="fr-lost")
    app.handle_webhook(*account.open_dispute(lost.processor_key))
    app.handle_webhook(*account.close_dispute(lost.processor_key, won=False))
    won = app.checkout("bob", 2200, "usd", "tok_visa", provider="cowork", idempotency_key="fr-dispute-won")
    app.handle_webhook(*account.open_dispute(won.processor_key))
    app.handle_webhook(*account.close_dispute(won.processor_key, won=True))
    # a webhook about a charge payproc does not know (yet): kept, not applied
    app.handle_webhook(*build_event(EventType.DISPUTE_CREATED, "ch_first_release_unknown", secret=WEBHOOK_SECRET))
    # a payout of part of the provider's funds
    app.create_transfer("cowork", 500, "usd", "First payout")

    states = {charge.state for charge in app.list_charges(limit=1000)}
    assert states == {"created", "done", "failed", "disputed", "lost"}, states
    assert app.check_books().balanced
    # The account remembers declined answers per idempotency key (ApiError,
    # whose constructor takes keyword arguments): pickle those by their state.
    copyreg.pickle(processor.ApiError, lambda error: (
        processor.ApiError.__new__, (processor.ApiError,), {**vars(error), "args": error.args}))
    with open(state_file, "wb") as out:
        pickle.dump({name: value for name, value in vars(account).items() if name not in ("_lock", "clock")}, out)
    app.db.dispose()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
