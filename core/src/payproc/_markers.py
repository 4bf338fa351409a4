"""The public marker backends and observers decorate their hookimpls with."""

import pluggy

from .hookspecs import PROJECT

#: Decorate a backend's or observer's methods with ``@hookimpl``.
hookimpl = pluggy.HookimplMarker(PROJECT)
