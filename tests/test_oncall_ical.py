"""The iCalendar feed, expanded as a calendar would (recurring_ical_events), matches
drillbook's own rendering over 2024, a year with both of Sydney's daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from drillbook.formats.oncall import load_oncall_text
from drillbook.oncall import Roster
from drillbook.oncall.ical import export_ics

FIXTURE = Path(__file__).parent.parent / "fixtures" / "oncall.yaml"
YEAR = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))
STAMP = datetime(2024, 1, 1, tzinfo=UTC)

BUSY = """
people:
  a: {name: Ana, phone: "+61 491 570 006"}
  b: {name: Ben, email: ben@holiday-aggregator.com}
  c: {name: Cy, slack: "@cy"}
schedules:
  busy:
    timezone: Australia/Sydney
    layers:
      - {rotation: weekly, users: [a, b], start: 2024-01-01, handoffTime: Monday 09:00}
      - rotation: daily
        users: [c, a]
        start: 2024-01-01
        handoffTime: "18:00"
        restrictions: [{type: daily, start: "22:00", end: "06:00"}]
    overrides:
      - {person: b, start: "2024-04-06T20:00", end: "2024-04-07T04:00"}
      - {person: c, start: "2024-10-05T12:00", end: "2024-10-06T12:00"}
"""


def expanded(feed: bytes) -> list[tuple[datetime, datetime, str]]:
    """Every occurrence in the feed between the year's bounds, in UTC, with its summary."""
    calendar = icalendar.Calendar.from_ical(feed)
    events = recurring_ical_events.of(calendar).between(*YEAR)
    return sorted(
        (
            event.decoded("dtstart").astimezone(UTC),
            event.decoded("dtend").astimezone(UTC),
            str(event["summary"]),
        )
        for event in events
    )


def rendered(roster: Roster, schedule: str) -> list[tuple[datetime, datetime, str]]:
    return [
        (e.start, e.end, f"On call: {roster.person(e.person).name} ({schedule})")
        for e in roster.render(schedule, *YEAR)
    ]


@pytest.mark.parametrize(
    ("roster", "schedule"),
    [
        (Roster.load(FIXTURE), "primary"),
        (Roster.load(FIXTURE), "secondary"),
        (Roster(load_oncall_text(BUSY).model), "busy"),
    ],
    ids=["primary", "secondary", "layers-restrictions-overrides"],
)
def test_the_expanded_feed_is_the_rendering(roster: Roster, schedule: str) -> None:
    feed = export_ics(roster, schedule, *YEAR, stamp=STAMP)
    assert expanded(feed) == rendered(roster, schedule)


def test_regular_turns_are_recurring_events_in_the_schedule_zone() -> None:
    roster = Roster.load(FIXTURE)
    # 52 weeks from Monday 2024-01-01 09:00 AEDT: Mia takes turns 0, 3, ... 51
    weeks = (datetime(2023, 12, 31, 22, tzinfo=UTC), datetime(2024, 12, 29, 22, tzinfo=UTC))
    calendar = icalendar.Calendar.from_ical(export_ics(roster, "primary", *weeks, stamp=STAMP))
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 3  # one series per engineer, all year long
    first = min(events, key=lambda event: event.decoded("dtstart"))
    assert first["dtstart"].params["TZID"] == "Australia/Sydney"
    assert first.decoded("dtstart").replace(tzinfo=None) == datetime(2024, 1, 1, 9, 0)
    assert str(first["duration"].to_ical(), "ascii") == "P7D"  # nominal: 09:00 to 09:00
    assert dict(first["rrule"]) == {"FREQ": ["WEEKLY"], "INTERVAL": [3], "COUNT": [18]}
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Australia/Sydney"]
    assert "+61 491 570 156" in str(first["description"])


def test_the_feed_is_subscribable() -> None:
    feed = export_ics(Roster.load(FIXTURE), "primary", *YEAR, stamp=STAMP).decode()
    calendar = icalendar.Calendar.from_ical(feed)
    assert calendar["version"] == "2.0"
    assert calendar["prodid"] == "-//drillbook//oncall//EN"
    assert calendar["x-wr-calname"] == "On call: Primary on call"
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in feed
    uids = [str(event["uid"]) for event in calendar.walk("VEVENT")]
    assert len(set(uids)) == len(uids)
    assert all(event.decoded("dtstamp") == STAMP for event in calendar.walk("VEVENT"))
    assert feed == export_ics(Roster.load(FIXTURE), "primary", *YEAR, stamp=STAMP).decode()


def test_durations_mean_the_same_read_as_rfc_5545_says() -> None:
    """RFC 5545 adds a DURATION's days as wall days and its hours as exact time; some
    calendars add both as wall time. Each recurring event must end at the same instant
    either way: a night shift across a clock change is an event of its own instead."""
    roster = Roster(load_oncall_text(BUSY).model)
    calendar = icalendar.Calendar.from_ical(export_ics(roster, "busy", *YEAR, stamp=STAMP))
    durations = {
        str(event["uid"]): event.decoded("duration")
        for event in calendar.walk("VEVENT")
        if "DURATION" in event
    }
    checked = 0
    for occurrence in recurring_ical_events.of(calendar).between(*YEAR):
        length = durations.get(str(occurrence["uid"]))
        if length is None:
            continue
        start = occurrence.decoded("dtstart")
        days = timedelta(days=length.days)
        rfc_end = (start.replace(tzinfo=None) + days).replace(tzinfo=start.tzinfo)
        rfc_end = rfc_end.astimezone(UTC) + (length - days)
        assert rfc_end == occurrence.decoded("dtend").astimezone(UTC), occurrence["summary"]
        checked += 1
    assert checked > 300  # most nights are recurrences
    sydney = ZoneInfo("Australia/Sydney")
    across_a_change = [
        event
        for event in calendar.walk("VEVENT")
        if "DTEND" in event and wall_length(event, sydney) != real_length(event)
    ]
    assert across_a_change  # such entries are events of their own, with their own DTEND


def real_length(event: icalendar.Event) -> timedelta:
    return event.decoded("dtend") - event.decoded("dtstart")  # aware: exact time


def wall_length(event: icalendar.Event, where: ZoneInfo) -> timedelta:
    start, end = (event.decoded(name).astimezone(where) for name in ("dtstart", "dtend"))
    return end.replace(tzinfo=None) - start.replace(tzinfo=None)
