"""Reading values out of report JSON that people may have edited: a value of the wrong type
reads as missing (and becomes a prompt) instead of failing the whole draft."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def text(data: Any, key: str) -> str | None:
    """``data[key]`` when it is a non-blank string."""
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, str) and value.strip() else None


def number(data: Any, key: str) -> float | None:
    """``data[key]`` when it is a number (not a bool)."""
    value = data.get(key) if isinstance(data, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def mapping(data: Any, key: str) -> dict[str, Any]:
    """``data[key]`` when it is an object, else an empty one."""
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def records(data: Any, key: str) -> list[dict[str, Any]]:
    """The objects in the list ``data[key]``; anything else in it is left out."""
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def strings(data: Any, key: str) -> list[str]:
    """The non-blank strings in the list ``data[key]``."""
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str) and item.strip()]


def instant(data: Any, key: str) -> datetime | None:
    """``data[key]`` as a UTC instant, when it is an ISO 8601 time with an offset."""
    raw = text(data, key)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if moment.utcoffset() is None:
        return None
    return moment.astimezone(UTC)
