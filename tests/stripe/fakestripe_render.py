"""How the fake renders its objects as Stripe's JSON: private fields dropped,
lists Stripe only returns when expanded (``charge.refunds``), ``expand``
paths followed, and the one search syntax the backend uses."""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from fakestripe_errors import StripeFail

if TYPE_CHECKING:
    from fakestripe_state import Account, FakeStripeState

__all__ = ["export", "search_metadata"]


def _virtual(obj: dict[str, Any], key: str, state: FakeStripeState | None, account: Account | None) -> Any:
    """Lists Stripe returns only when expanded (``charge.refunds``) or always (fee refunds)."""
    if key == "refunds" and "_refunds" in obj and state is not None and account is not None:
        url = f"/v1/{'charges' if obj['object'] == 'charge' else 'application_fees'}/{obj['id']}/refunds"
        data = [copy.deepcopy(state.find(account, ident)) for ident in obj["_refunds"]]
        return {"object": "list", "data": [export(item) for item in data if item], "has_more": False, "url": url}
    return obj.get(key)


def export(obj: dict[str, Any], expand: list[str] | None = None, state: FakeStripeState | None = None,
           account: Account | None = None) -> dict[str, Any]:
    """The JSON Stripe returns for ``obj``, with ``expand`` paths expanded."""
    out = {key: copy.deepcopy(value) for key, value in obj.items() if not key.startswith("_")}
    if obj.get("object") == "application_fee":
        out["refunds"] = _virtual(obj, "refunds", state, account)
    elif obj.get("object") == "charge":
        out.pop("refunds", None)
    for path in expand or []:
        _expand(out, obj, path.split("."), state, account)
    return out


def _expand(out: Any, source: Any, parts: list[str], state: FakeStripeState | None, account: Account | None) -> None:
    if not parts or out is None:
        return
    head, rest = parts[0], parts[1:]
    if isinstance(out, dict) and out.get("object") in ("list", "search_result") and head == "data":
        for item in out["data"]:
            _expand(item, item, rest, state, account)
        return
    if not isinstance(out, dict):
        return
    value = out.get(head)
    if head == "refunds" and isinstance(source, dict) and "_refunds" in source:
        value = _virtual(source, "refunds", state, account)
    elif isinstance(value, str) and state is not None and account is not None:
        found = state.find(account, value)
        if found is None:
            raise StripeFail(400, f"This property cannot be expanded ({head}).", param="expand")
        value = export(found, None, state, account)
        source = found
    elif value is None and head not in out:
        raise StripeFail(400, f"This property cannot be expanded ({head}).", param="expand")
    out[head] = value
    if rest and isinstance(value, dict):
        if value.get("object") == "list":
            for item in value["data"]:
                _expand(item, item, rest[1:] if rest[0] == "data" else rest, state, account)
        else:
            _expand(value, source.get(head) if isinstance(source, dict) and isinstance(source.get(head), dict)
                    else value, rest, state, account)


def search_metadata(query: str) -> tuple[str, str]:
    """Stripe's search syntax, the one form the backend uses: ``metadata['k']:'v'``."""
    match = re.fullmatch(r"metadata\['([^']+)'\]:'((?:[^'\\]|\\.)*)'", query.strip())
    if not match:
        raise StripeFail(400, f"Invalid search query: {query}", param="query")
    return match.group(1), re.sub(r"\\(.)", r"\1", match.group(2))
