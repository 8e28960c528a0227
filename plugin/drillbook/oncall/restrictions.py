"""Restriction windows as UTC intervals: the times a restricted layer is on call.

A daily window repeats every local day, a weekly one every local week; each runs from its
start to the next time its end comes round (a whole day or week when the two are equal).
Windows are wall times, so a window that falls into a skipped hour is shorter that day.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from drillbook.formats.oncall import Restriction
from drillbook.oncall.zones import instant, wall

Interval = tuple[datetime, datetime]


def windows(
    restrictions: Iterable[Restriction], where: ZoneInfo, start: datetime, end: datetime
) -> list[Interval]:
    """The union of the windows inside ``[start, end)``, sorted and merged."""
    found: list[Interval] = []
    for restriction in restrictions:
        found.extend(_occurrences(restriction, where, start, end))
    return clip(merge(found), start, end)


def _occurrences(
    restriction: Restriction, where: ZoneInfo, start: datetime, end: datetime
) -> Iterator[Interval]:
    weekly = restriction.type == "weekly"
    period = timedelta(days=7 if weekly else 1)
    first = datetime.combine(wall(start, where).date(), datetime.min.time())
    if weekly:
        first -= timedelta(days=first.weekday())
    last = wall(end, where)
    anchor = first - period
    while anchor <= last:
        opens = anchor + _offset(restriction.start.weekday, restriction.start.clock)
        closes = anchor + _offset(restriction.end.weekday, restriction.end.clock)
        if closes <= opens:
            closes += period
        yield instant(opens, where), instant(closes, where)
        anchor += period


def _offset(weekday: int | None, clock: time) -> timedelta:
    return timedelta(days=weekday or 0, hours=clock.hour, minutes=clock.minute)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, with overlapping or touching intervals joined and empty ones dropped."""
    merged: list[Interval] = []
    for low, high in sorted(intervals):
        if high <= low:
            continue
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def clip(intervals: Iterable[Interval], start: datetime, end: datetime) -> list[Interval]:
    return [
        (max(low, start), min(high, end)) for low, high in intervals if high > start and low < end
    ]


def intersect(low: datetime, high: datetime, allowed: list[Interval]) -> Iterator[Interval]:
    """The parts of ``[low, high)`` inside the sorted, disjoint intervals ``allowed``."""
    first = bisect.bisect_right(allowed, low, key=lambda window: window[1])
    for window_low, window_high in allowed[first:]:
        if window_low >= high:
            return
        yield max(low, window_low), min(high, window_high)
