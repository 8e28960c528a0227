"""A schedule as an iCalendar feed (RFC 5545) a calendar can subscribe to.

The feed holds the schedule's rendered entries between two instants, each person's
regular turns folded into one recurring event: ``DTSTART`` as a wall time with the
schedule's ``TZID`` (its ``VTIMEZONE`` included), an ``RRULE`` every N days or weeks and a
``DURATION`` in nominal days plus exact time, so each recurrence starts at the same wall
time across daylight-saving changes, as drillbook's rotation does. An entry that fits no
series (an override, a cut-short turn, a wall time a change skips or repeats) is an event
of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from drillbook.oncall.roster import Roster
from drillbook.oncall.timeline import Entry
from drillbook.oncall.zones import instant, require_aware, wall

PRODID = "-//drillbook//oncall//EN"
REFRESH = timedelta(hours=1)


@dataclass(frozen=True)
class _Shape:
    """An entry as a wall start and a wall length."""

    start: datetime
    length: timedelta


@dataclass
class _Series:
    entries: list[Entry]
    shape: _Shape | None
    interval: timedelta | None = None

    def accepts(self, entry: Entry, shape: _Shape | None) -> bool:
        head = self.shape
        if head is None or shape is None or shape.length != head.length:
            return False
        gap = shape.start - head.start
        if self.interval is None:
            return gap > timedelta(0) and gap % timedelta(days=1) == timedelta(0)
        return gap == self.interval * len(self.entries)

    def add(self, entry: Entry, shape: _Shape | None) -> None:
        if self.shape is not None and shape is not None and self.interval is None:
            self.interval = shape.start - self.shape.start
        self.entries.append(entry)


def export_ics(
    roster: Roster,
    schedule_id: str,
    start: datetime,
    end: datetime,
    *,
    stamp: datetime | None = None,
) -> bytes:
    """The iCalendar text of ``schedule_id`` from ``start`` to ``end``."""
    timeline = roster.timeline(schedule_id)
    schedule = timeline.schedule
    stamp = require_aware(stamp or datetime.now(UTC), "stamp")
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"On call: {schedule.name or schedule_id}")
    calendar.add("x-wr-timezone", schedule.timezone)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for series in _series(timeline.render(start, end), timeline.zone):
        calendar.add_component(_event(roster, schedule_id, series, timeline.zone, stamp))
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def _shape(entry: Entry, where: ZoneInfo) -> _Shape | None:
    """The entry's wall start and length, or None when they do not name it exactly: a start
    in a skipped or repeated hour, or a length that RFC 5545 (nominal days, then exact
    time) and plain wall-clock arithmetic read differently (then it is an event of its
    own, in UTC)."""
    start = wall(entry.start, where)
    length = wall(entry.end, where) - start
    whole_days = timedelta(days=length.days)
    nominal = instant(start + whole_days, where) + (length - whole_days)
    if instant(start, where) != entry.start or length <= timedelta(0):
        return None
    if nominal != entry.end or instant(start + length, where) != entry.end:
        return None
    return _Shape(start, length)


def _series(entries: list[Entry], where: ZoneInfo) -> list[_Series]:
    """Each person's entries folded greedily into regular series."""
    open_series: dict[str, _Series] = {}
    done: list[_Series] = []
    for entry in entries:
        shape = _shape(entry, where)
        current = open_series.get(entry.person)
        if current is not None and current.accepts(entry, shape):
            current.add(entry, shape)
            continue
        if current is not None:
            done.append(current)
        open_series[entry.person] = _Series([entry], shape)
    done.extend(open_series.values())
    return sorted(done, key=lambda series: series.entries[0].start)


def _event(
    roster: Roster, schedule_id: str, series: _Series, where: ZoneInfo, stamp: datetime
) -> icalendar.Event:
    first = series.entries[0]
    person = roster.person(first.person)
    event = icalendar.Event()
    event.add("uid", f"{schedule_id}-{first.person}-{first.start:%Y%m%dT%H%M%SZ}@drillbook")
    event.add("dtstamp", stamp)
    event.add("summary", f"On call: {person.name} ({schedule_id})")
    contacts = person.contacts()
    if contacts:
        event.add("description", "Contact: " + ", ".join(contacts))
    event.add("transp", "TRANSPARENT")
    shape = series.shape
    if shape is None:
        event.add("dtstart", first.start)
        event.add("dtend", first.end)
        return event
    event.add("dtstart", shape.start.replace(tzinfo=where))
    event.add("duration", shape.length)
    if series.interval is not None:
        event.add("rrule", _rule(series.interval, len(series.entries)))
    return event


def _rule(interval: timedelta, count: int) -> dict[str, object]:
    if interval.days % 7 == 0:
        return {"freq": "weekly", "interval": interval.days // 7, "count": count}
    return {"freq": "daily", "interval": interval.days, "count": count}
