"""Reading JSON request bodies the way toxiproxy's Go decoder does: typed fields, clear errors."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from drillbook.faults.server.errors import BAD_REQUEST_BODY, INVALID_STREAM, MISSING_FIELD

STREAMS = ("upstream", "downstream")


def decode(raw: bytes) -> Any:
    """The JSON value of a request body; 400 ``bad request body: ...`` when it is not JSON."""
    if not raw.strip():
        raise BAD_REQUEST_BODY.joined("EOF")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BAD_REQUEST_BODY.joined(str(exc)) from None


def as_object(value: Any, what: str = "body") -> dict[str, Any]:
    """``value`` when it is a JSON object, else a 400."""
    if not isinstance(value, dict):
        raise BAD_REQUEST_BODY.joined(f"the {what} must be a JSON object")
    return value


def field(body: Mapping[str, Any], key: str, kind: type, default: Any) -> Any:
    """``body[key]`` checked to be of ``kind`` (null or absent gives ``default``)."""
    value = body.get(key)
    if value is None:
        return default
    if kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise BAD_REQUEST_BODY.joined(f"field {key!r} must be a {_kind_name(kind)}")
    return float(value) if kind is float else value


def _kind_name(kind: type) -> str:
    names = {str: "string", bool: "boolean", int: "integer", float: "number", dict: "object"}
    return names.get(kind, kind.__name__)


def attributes(raw: Any, known: Mapping[str, int]) -> dict[str, int]:
    """The integer attributes among ``known`` found in ``raw``; unknown keys are ignored."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise BAD_REQUEST_BODY.joined("field 'attributes' must be an object")
    values: dict[str, int] = {}
    for key in known:
        if key in raw and raw[key] is not None:
            value = raw[key]
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if not isinstance(value, int) or isinstance(value, bool):
                raise BAD_REQUEST_BODY.joined(f"attribute {key!r} must be an integer")
            values[key] = value
    return values


def stream(value: Any) -> str:
    """A toxic's stream, ``upstream`` or ``downstream`` (any case)."""
    if not isinstance(value, str) or value.lower() not in STREAMS:
        raise INVALID_STREAM
    return value.lower()


def require(body: Mapping[str, Any], key: str, where: str = "") -> str:
    """A required non-empty string field; 400 ``missing required field: key`` otherwise."""
    value = field(body, key, str, "")
    if not value:
        raise MISSING_FIELD.joined(f"{key}{where}")
    return str(value)
