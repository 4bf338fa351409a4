"""A djaodjin-saas ``SAAS = {...}`` dict, mapped onto payproc's settings.

djaodjin-saas and payproc share the ``PROCESSOR`` section, but not every key:
what maps is mapped, and every key payproc does not use is reported with the
reason, rather than silently dropped (:meth:`payproc.settings.Settings.from_saas`
turns each note into a :class:`~payproc.settings.SettingsWarning`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import ConfigurationError

__all__ = ["IGNORED_BROKER_KEYS", "IGNORED_PROCESSOR_KEYS", "map_saas"]

#: djaodjin-saas ``PROCESSOR`` keys payproc does not read, and why.
IGNORED_PROCESSOR_KEYS = {
    "CONNECT_STATE_CALLABLE": "the OAuth state of a Connect link is the application's views' business "
                              "(payproc's connect_auth only exchanges the code)",
    "REDIRECT_CALLABLE": "the redirect after a Connect authorization is made by the application's views",
    "FALLBACK": "payproc runs one backend; there is no fallback processor",
    "USE_STRIPE_V3": "payproc's stripe backend always uses Stripe.js v3 and PaymentIntents",
}

#: djaodjin-saas ``BROKER`` keys payproc does not read, and why.
IGNORED_BROKER_KEYS = {
    "IS_INSTANCE_CALLABLE": "payproc knows the broker by its slug (BROKER['GET_INSTANCE'])",
    "BUILD_ABSOLUTE_URI_CALLABLE": "payproc builds no URLs: give the processor the webhook URL yourself",
}

#: Top-level keys :func:`map_saas` maps.
MAPPED = ("PROCESSOR", "PROCESSOR_ID", "BROKER", "PROCESSOR_BACKEND_CALLABLE")


def _broker_slug(broker: Any) -> tuple[str | None, list[str]]:
    if broker is None or isinstance(broker, str):
        return broker or None, []
    if not isinstance(broker, Mapping):
        raise ConfigurationError(f"SAAS['BROKER'] must be a dict such as {{'GET_INSTANCE': 'slug'}}, "
                                 f"got {type(broker).__name__}")
    notes = [f"SAAS['BROKER'][{key!r}] is ignored: {IGNORED_BROKER_KEYS.get(key, 'payproc does not use it')}"
             for key in broker if key != "GET_INSTANCE"]
    slug = broker.get("GET_INSTANCE")
    if slug and (not isinstance(slug, str) or "." in slug or ":" in slug):
        raise ConfigurationError(
            "SAAS['BROKER']['GET_INSTANCE'] names a callable; payproc needs the broker's profile slug: "
            "set it to the slug (e.g. 'cowork') or pass BROKER='<slug>' to Settings.from_saas"
        )
    return slug or None, notes


def map_saas(saas: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The keyword arguments of :func:`~payproc.settings.load_settings` a
    ``SAAS`` dict gives, and one note per key payproc ignores.

    ``PROCESSOR['INSTANCE_PK']`` and a top-level ``PROCESSOR_ID`` both set
    the processor profile (djaodjin reads only the former; its docs tell
    readers to set the latter).
    """
    if saas.get("PROCESSOR_BACKEND_CALLABLE"):
        raise ConfigurationError(
            "SAAS['PROCESSOR_BACKEND_CALLABLE'] (a backend per provider) is not supported by "
            "payproc yet: one backend serves every provider"
        )
    values: dict[str, Any] = {}
    notes: list[str] = []
    processor = dict(saas.get("PROCESSOR") or {})
    if "PROCESSOR_ID" in saas:
        values["PROCESSOR_ID"] = saas["PROCESSOR_ID"]
    if "INSTANCE_PK" in processor:
        values["PROCESSOR_ID"] = processor.pop("INSTANCE_PK")
    for key in sorted(IGNORED_PROCESSOR_KEYS):
        if key in processor:  # whatever its value: False or [] is a choice payproc does not follow either
            processor.pop(key)
            notes.append(f"SAAS['PROCESSOR'][{key!r}] is ignored: {IGNORED_PROCESSOR_KEYS[key]}")
    if processor:
        values["PROCESSOR"] = processor
    slug, broker_notes = _broker_slug(saas.get("BROKER"))
    notes += broker_notes
    if slug:
        values["BROKER"] = slug
    others = sorted(key for key in saas if key not in MAPPED)
    if others:
        notes.append(f"SAAS keys {', '.join(others)} are ignored: djaodjin-saas application settings, "
                     "not payment settings")
    return values, notes
