"""What the flows need of the runtime, and nothing more.

The flows are functions of a :class:`FlowContext`: the settings, the
database, the loaded backend and the broker's profile id. :class:`payproc.
app.Payproc` is one (the flows are its methods); a worker or a test can hand
them any object with these four members, and the flows never import the
application class, so the dependency runs one way: ``app`` -> ``flows``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..backend import Backend
    from ..db.engine import Database
    from ..settings import Settings

__all__ = ["FlowContext"]


class FlowContext(Protocol):
    """The runtime a flow runs in."""

    @property
    def settings(self) -> Settings:
        """The validated settings (``PROCESSOR_ID``, ``BROKER``, ``RETRIES``…)."""

    @property
    def db(self) -> Database:
        """The database the flows record in."""

    @property
    def backend(self) -> Backend:
        """The selected backend, loaded on first use."""

    def broker_id(self, session: Session) -> int:
        """The broker's profile id (read once, then remembered)."""
