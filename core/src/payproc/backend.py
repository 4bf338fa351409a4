"""A loaded backend: one pluggy PluginManager around one backend instance.

The rest of the core calls a :class:`Backend`, never ``pm.hook.…`` directly.
The facade knows which operations the backend implements (its hookimpls) and
raises :class:`~payproc.errors.NotSupportedError` for the others before any
work is done.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pluggy

from . import hookspecs
from .discovery import BackendEntry, load_backend_class, load_observers
from .errors import ConfigurationError, NotSupportedError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .settings import BackendSettings
    from .types import WebhookVerification

# pydantic and pydantic-settings (payproc.settings) are imported when a
# backend is loaded, not with this module: ``payproc backends`` only needs
# :func:`backend_capabilities`.

__all__ = ["Backend", "load_backend"]


def webhook_verification(backend_cls: type[Any]) -> WebhookVerification:
    """A backend class's declared webhook verification (contract 1.1),
    ``signed`` by default; anything else is a configuration error that names
    the two choices."""
    from .types import WebhookVerification

    declared = getattr(backend_cls, "webhook_verification", WebhookVerification.SIGNED)
    try:
        return WebhookVerification(declared)
    except ValueError:
        choices = ", ".join(repr(kind.value) for kind in WebhookVerification)
        raise ConfigurationError(
            f"backend {backend_cls.__name__} declares webhook_verification={declared!r}; expected one of {choices}"
        ) from None


def backend_capabilities(backend_cls: type[Any]) -> frozenset[str]:
    """The backend hooks a backend class implements, found by inspecting its
    hookimpl markers (no instance, no SDK)."""
    found = set()
    for name in hookspecs.BACKEND_HOOKS:
        attr = getattr(backend_cls, name, None)
        if attr is not None and hasattr(attr, f"{hookspecs.PROJECT}_impl"):
            found.add(name)
    return frozenset(found)


class Backend:
    """The selected backend, configured and ready to be called.

    ``name`` is its entry-point name, ``capabilities`` the operations it
    implements, ``settings`` its validated ``PROCESSOR`` section.
    """

    def __init__(
        self,
        name: str,
        backend_cls: type[Any],
        section: BackendSettings,
        entry: BackendEntry | None = None,
        observers: Iterable[tuple[str, Any]] = (),
    ) -> None:
        from .settings import BackendSettings, validate_backend_section

        self.name = name
        self.entry = entry
        self.backend_cls = backend_cls
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.impl = backend_cls()
        self.pm.register(self.impl, name=f"backend:{name}")
        for observer_name, observer in observers:
            self.pm.register(observer() if isinstance(observer, type) else observer, name=f"observer:{observer_name}")
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as error:
            raise ConfigurationError(f"backend {name!r} implements an unknown hook: {error}") from None
        self.capabilities = backend_capabilities(backend_cls)
        model: type[BaseModel] = self.pm.hook.settings_model() or BackendSettings
        self.settings = validate_backend_section(model, section)
        self.pm.hook.configure(settings=self.settings)
        self.hook = self.pm.hook

    @property
    def experimental(self) -> bool:
        return bool(getattr(self.backend_cls, "experimental", False))

    @property
    def webhook_verification(self) -> WebhookVerification:
        """How this backend verifies webhooks (its class attribute
        ``webhook_verification``; ``"signed"`` when it does not say)."""
        return webhook_verification(self.backend_cls)

    @property
    def token_field(self) -> str:
        integration = self.call_optional("browser_integration")
        return integration.token_field if integration is not None else "processor_token"

    def supports(self, operation: str) -> bool:
        return operation in self.capabilities

    def unsupported_reason(self, operation: str) -> str | None:
        reasons = getattr(self.backend_cls, "unsupported", {}) or {}
        return reasons.get(operation)

    def require(self, operation: str) -> None:
        if operation not in self.capabilities:
            raise NotSupportedError(self.name, operation, self.unsupported_reason(operation))

    def call(self, operation: str, **kwargs: Any) -> Any:
        """Call backend hook ``operation``; NotSupportedError if absent."""
        if operation not in self.capabilities:
            raise NotSupportedError(self.name, operation, self.unsupported_reason(operation))
        return getattr(self.hook, operation)(**_with_added_arguments(operation, kwargs))

    def call_optional(self, operation: str, **kwargs: Any) -> Any:
        """Call backend hook ``operation`` if implemented, else ``None``."""
        if operation not in self.capabilities:
            return None
        return getattr(self.hook, operation)(**_with_added_arguments(operation, kwargs))

    def notify(self, event: str, **kwargs: Any) -> None:
        """Broadcast an event hook to the backend and every observer."""
        getattr(self.hook, event)(**kwargs)

    def __repr__(self) -> str:
        return f"<Backend {self.name!r} ({len(self.capabilities)} operations)>"


@functools.cache
def _observers() -> tuple[tuple[str, Any], ...]:
    loaded, errors = load_observers()
    if errors:
        import logging

        for message in errors:
            logging.getLogger("payproc").error(message)
    return tuple(loaded)


def load_backend(section: BackendSettings, *, observers: bool = True) -> Backend:
    """Import, validate and configure the backend ``section.BACKEND`` names."""
    backend_cls, entry = load_backend_class(section.BACKEND)
    name = entry.name if entry is not None else section.BACKEND
    return Backend(name, backend_cls, section, entry, _observers() if observers else ())


#: Arguments a later contract version added to an existing hook, with the
#: value that means "not given": a caller written for the earlier version
#: (a backend's own tests calling ``get_payment_context``) still makes a
#: complete call, and pluggy does not warn about a missing argument.
ADDED_ARGUMENTS: dict[str, dict[str, Any]] = {"get_payment_context": {"return_url": None}}


def _with_added_arguments(operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    added = ADDED_ARGUMENTS.get(operation)
    return {**added, **kwargs} if added else kwargs
