"""Run localstripe in memory on 127.0.0.1:<port> (``python localstripe_runner.py PORT``).

localstripe pickles its store to ``/tmp/localstripe.pickle`` on every write
and reloads it at start; here the store stays in memory only and starts empty.

localstripe models Stripe's API before 2026-09-30.endive, the version that
replaced the writable ``payment_method_types`` of PaymentIntents and
SetupIntents with ``allowed_payment_method_types``. payproc-stripe pins
2026-10-28.endive and sends the new name; the runner hands it to localstripe
under the old one (same meaning for the card-only intents payproc makes).
Nothing else of localstripe is changed.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

from aiohttp import web
from localstripe import resources, server


def _accept_endive_names(cls: type) -> None:
    original = cls.__init__

    @functools.wraps(original)
    def init(self: Any, *args: Any, allowed_payment_method_types: Any = None, **kwargs: Any) -> None:
        if allowed_payment_method_types is not None:
            kwargs["payment_method_types"] = allowed_payment_method_types
        original(self, *args, **kwargs)

    cls.__init__ = init  # type: ignore[method-assign]


def main() -> None:
    resources.Store.dump_to_disk = lambda self: None  # type: ignore[method-assign]
    resources.Store.try_load_from_disk = lambda self: None  # type: ignore[method-assign]
    for cls in (resources.PaymentIntent, resources.SetupIntent):
        _accept_endive_names(cls)
    web.run_app(server.app, host="127.0.0.1", port=int(sys.argv[1]), print=None)


if __name__ == "__main__":
    main()
