"""The fake refuses what Stripe refuses: every request is checked against the
request-parameter TypedDicts that the stripe SDK generates from Stripe's
OpenAPI description (``stripe.params.*``) for the SDK's API version.

Each route of the fake names its params class (``PaymentIntentCreateParams``…).
:func:`validate` walks the decoded form (``a[b][0]=x``) against that class,
nested TypedDicts, lists, ``Dict[str, str]`` and ``Literal`` values included,
and raises :class:`~fakestripe_state.StripeFail` with Stripe's 400 body:

* a key the class does not have -> ``parameter_unknown`` ("Received unknown
  parameter: payment_method_data[card]"), except the documented removals of
  :data:`REMOVED`, which carry the code Stripe's changelog gives them;
* a required key that is missing -> ``parameter_missing``;
* a value of the wrong type -> ``parameter_invalid_integer`` / ``_boolean`` /
  ``_string_blank``…, an enum outside its ``Literal`` values -> "Invalid ...:
  must be one of ...".

Request options (``RequestOptions``: ``api_key``, ``idempotency_key``…) are
headers, never form parameters, so they are not accepted as parameters.
"""

from __future__ import annotations

import functools
import re
import sys
import types
import typing
from collections.abc import Mapping
from typing import Any, ForwardRef, Literal, Union, get_args, get_origin

import stripe
import stripe.params
from stripe._api_version import _ApiVersion
from stripe._request_options import RequestOptions
from stripe._stripe_object import UntypedStripeObject
from typing_extensions import NotRequired, Required, is_typeddict

from fakestripe_state import StripeFail

__all__ = ["API_VERSION", "REMOVED", "params_class", "validate"]

#: The version the SDK's params describe (the fake validates that version only).
API_VERSION = _ApiVersion.CURRENT
#: Parameters Stripe removed on this version with a dedicated error code
#: (changelog, 2026-09-30.endive: "Passing payment_method_types on this API
#: version returns a 400 error with the code payment_method_types_no_longer_supported").
REMOVED: dict[tuple[str, str], str] = {
    (klass, "payment_method_types"): "payment_method_types_no_longer_supported"
    for klass in ("PaymentIntentCreateParams", "PaymentIntentUpdateParams", "PaymentIntentConfirmParams",
                  "SetupIntentCreateParams", "SetupIntentUpdateParams")
}
_OPTIONS = frozenset(RequestOptions.__annotations__)
_INT = re.compile(r"-?\d+")


def params_class(name: str) -> type:
    """``stripe.params.<name>`` (a KeyError-like failure for a typo in the fake's route table)."""
    klass = getattr(stripe.params, name, None)
    if klass is None or not is_typeddict(klass):
        raise LookupError(f"stripe {stripe.VERSION} has no params class {name}")
    return klass


def _namespace(klass: type) -> dict[str, Any]:
    return vars(sys.modules[klass.__module__])


def _resolve(annotation: Any, namespace: Mapping[str, Any]) -> Any:
    """A type with every string / ForwardRef evaluated in the params module."""
    if isinstance(annotation, ForwardRef):
        annotation = annotation.__forward_arg__
    if isinstance(annotation, str):
        annotation = eval(annotation, dict(namespace))
    origin = get_origin(annotation)
    if origin in (NotRequired, Required):
        return _resolve(get_args(annotation)[0], namespace)
    return annotation


@functools.cache
def _fields(klass: type, top: bool) -> tuple[dict[str, Any], frozenset[str]]:
    """``(name -> resolved type, required names)`` of a params TypedDict; at the
    top level, the request options it inherits are left out."""
    namespace = _namespace(klass)
    fields = {
        name: _resolve(annotation, namespace)
        for name, annotation in klass.__annotations__.items()
        if not (top and name in _OPTIONS)
    }
    required = frozenset(klass.__required_keys__) & frozenset(fields)
    return fields, required


def _path(prefix: str, key: str) -> str:
    return f"{prefix}[{key}]" if prefix else key


def _invalid(param: str, message: str, code: str | None = None) -> StripeFail:
    extra = {"code": code} if code else {}
    return StripeFail(400, message, param=param, **extra)


def _check(value: Any, kind: Any, param: str, namespace: Mapping[str, Any]) -> None:
    """Raise unless the form value ``value`` can be a ``kind``."""
    kind = _resolve(kind, namespace)
    if kind is Any or kind is object:
        return
    origin = get_origin(kind)
    if origin is Union or isinstance(kind, types.UnionType):
        _check_union(value, get_args(kind), param, namespace)
        return
    if origin is Literal:
        allowed = get_args(kind)
        if value not in [str(item).lower() if isinstance(item, bool) else str(item) for item in allowed]:
            shown = ", ".join(repr(item) for item in allowed if item != "")
            raise _invalid(param, f"Invalid {param}: must be one of {shown}")
        return
    if origin in (list, typing.List):  # noqa: UP006 - the SDK's annotations
        if not isinstance(value, list):
            raise _invalid(param, f"Invalid array: {param} must be an array", "parameter_invalid_array")
        (item,) = get_args(kind) or (Any,)
        for index, element in enumerate(value):
            _check(element, item, f"{param}[{index}]", namespace)
        return
    if origin in (dict, typing.Dict, UntypedStripeObject):  # noqa: UP006 - the SDK's annotations
        if value == "":
            return  # posting an empty value unsets a hash (metadata)
        if not isinstance(value, dict):
            raise _invalid(param, f"Invalid object: {param} must be a hash", "parameter_invalid_object")
        args = get_args(kind)
        for key, element in value.items():
            _check(element, args[1] if len(args) == 2 else Any, _path(param, key), namespace)
        return
    if is_typeddict(kind):
        if not isinstance(value, dict):
            raise _invalid(param, f"Invalid object: {param} must be a hash", "parameter_invalid_object")
        _check_fields(value, kind, param, top=False)
        return
    if kind is bool:
        if value not in ("true", "false"):
            raise _invalid(param, f"Invalid boolean: {value}", "parameter_invalid_boolean")
        return
    if kind is int:
        if not isinstance(value, str) or not _INT.fullmatch(value):
            raise _invalid(param, f"Invalid integer: {value}", "parameter_invalid_integer")
        return
    if kind is float:
        try:
            float(value)
        except (TypeError, ValueError):
            raise _invalid(param, f"Invalid decimal: {value}", "parameter_invalid_decimal") from None
        return
    if kind is str:
        if not isinstance(value, str):
            raise _invalid(param, f"Invalid string: {param} must be a string", "parameter_invalid_string")
        return
    if kind is type(None):
        if value != "":
            raise _invalid(param, f"Invalid {param}: must be empty")
        return
    raise AssertionError(f"fakestripe_params cannot check {param} against {kind!r}")


def _check_union(value: Any, options: tuple[Any, ...], param: str, namespace: Mapping[str, Any]) -> None:
    """One of ``options`` must fit. The SDK adds ``str`` next to an enum's
    ``Literal`` values for forward compatibility; Stripe itself refuses a value
    outside the enum, so that ``str`` is dropped (``Literal['']|str`` keeps it)."""
    enum = any(get_origin(option) is Literal and any(item != "" for item in get_args(option)) for option in options)
    if enum:
        options = tuple(option for option in options if option is not str)
    first: StripeFail | None = None
    for option in options:
        try:
            _check(value, option, param, namespace)
            return
        except StripeFail as fail:
            first = first or fail
    assert first is not None
    raise first


def _check_fields(values: Mapping[str, Any], klass: type, prefix: str, *, top: bool) -> None:
    fields, required = _fields(klass, top)
    namespace = _namespace(klass)
    for key in values:
        if key not in fields:
            param = _path(prefix, key)
            code = REMOVED.get((klass.__name__, param)) if not prefix else None
            if code:
                raise _invalid(param, f"The parameter {param} is no longer supported on API version {API_VERSION}.",
                               code)
            raise _invalid(param, f"Received unknown parameter: {param}", "parameter_unknown")
    for key in sorted(required):
        if key not in values:
            param = _path(prefix, key)
            raise _invalid(param, f"Missing required param: {param}.", "parameter_missing")
    for key, value in values.items():
        _check(value, fields[key], _path(prefix, key), namespace)


def validate(params: Mapping[str, Any], class_name: str, *, publishable: bool = False) -> None:
    """Raise Stripe's 400 unless ``params`` fit ``stripe.params.<class_name>``.

    ``publishable``: the request was made with a publishable key, as Stripe.js
    makes it, which also sends the intent's ``client_secret``.
    """
    values = dict(params)
    if publishable:
        values.pop("client_secret", None)
    _check_fields(values, params_class(class_name), "", top=True)
