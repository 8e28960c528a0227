"""Instants and wall times: every answer is an aware UTC datetime; zones only convert.

A wall time is a naive datetime read in a zone. One that does not exist (skipped by a
daylight-saving change) or exists twice takes the offset in force before the change
(``fold=0``), as RFC 5545 does for calendar recurrences.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from drillbook.errors import DrillbookError
from drillbook.formats.oncall import FIRST_YEAR, LAST_YEAR

_ZONED = re.compile(r"^\s*(?P<when>.+?)(?:\s+|\[)(?P<zone>[A-Za-z][\w/+-]*)\]?\s*$")


@functools.cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def instant(wall: datetime, where: ZoneInfo) -> datetime:
    """The UTC instant of the wall time ``wall`` in ``where``."""
    return wall.replace(tzinfo=where, fold=0).astimezone(UTC)


def wall(at: datetime, where: ZoneInfo) -> datetime:
    """The naive wall time in ``where`` at the instant ``at``."""
    return at.astimezone(where).replace(tzinfo=None, fold=0)


def require_aware(at: datetime, what: str = "the time") -> datetime:
    """``at`` in UTC; a naive datetime is refused (it names no instant)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{what} needs a time zone or offset: {at.isoformat()}")
    return at.astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """An instant from ISO 8601 with an offset (``2024-04-07T02:30+11:00``, ``...Z``) or with
    a zone after it (``2024-04-07T02:30 Australia/Sydney``, ``2024-04-07T02:30[UTC]``)."""
    match = _ZONED.match(text)
    value = (match["when"] if match else text).strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise DrillbookError(_instant_help(text, "is not an ISO 8601 date-time")) from None
    if match:
        if parsed.tzinfo is not None:
            raise DrillbookError(_instant_help(text, "has both an offset and a zone"))
        try:
            return _in_range(text, instant(parsed, zone(match["zone"])))
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise DrillbookError(_instant_help(text, f"names no zone {match['zone']!r}")) from None
    if parsed.tzinfo is None:
        raise DrillbookError(_instant_help(text, "has no offset or zone"))
    return _in_range(text, parsed.astimezone(UTC))


def _in_range(text: str, at: datetime) -> datetime:
    if not FIRST_YEAR <= at.year <= LAST_YEAR:
        raise DrillbookError(f"{text!r}: drillbook answers for the years {FIRST_YEAR}-{LAST_YEAR}")
    return at


def _instant_help(text: str, problem: str) -> str:
    return (
        f"{text!r} {problem}; write a time like 2024-04-07T09:00+10:00, 2024-04-06T23:00Z "
        "or '2024-04-07T09:00 Australia/Sydney'"
    )
