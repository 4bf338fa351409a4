"""Run localstripe in memory on 127.0.0.1:<port> (``python localstripe_runner.py PORT``).

localstripe pickles its store to ``/tmp/localstripe.pickle`` on every write
and reloads it at start; here the store stays in memory only and starts empty.
"""

from __future__ import annotations

import sys

from aiohttp import web
from localstripe import resources, server


def main() -> None:
    resources.Store.dump_to_disk = lambda self: None  # type: ignore[method-assign]
    resources.Store.try_load_from_disk = lambda self: None  # type: ignore[method-assign]
    web.run_app(server.app, host="127.0.0.1", port=int(sys.argv[1]), print=None)


if __name__ == "__main__":
    main()
