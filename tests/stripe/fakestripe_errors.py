"""Stripe's error answers, as the fake raises them."""

from __future__ import annotations

from typing import Any

__all__ = ["StripeFail", "missing"]


class StripeFail(Exception):
    """An error answer: HTTP status and Stripe's ``error`` object."""

    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error", **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"error": {"type": type, "message": message, **extra}}


def missing(kind: str, ident: str, param: str | None = None) -> StripeFail:
    return StripeFail(404, f"No such {kind}: '{ident}'", code="resource_missing", param=param or kind.replace(" ", "_"))
