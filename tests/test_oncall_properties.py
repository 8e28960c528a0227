"""Properties of schedules, over random layers in zones with daylight saving (including
Lord Howe's half-hour shift and Santiago's midnight changes)."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from drillbook.formats.oncall import Schedule
from drillbook.oncall import Entry, Timeline
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ZONES = [
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/New_York",
    "America/Santiago",
    "Europe/London",
    "Pacific/Chatham",
    "Asia/Kolkata",
    "UTC",
]
USERS = ["u1", "u2", "u3", "u4", "u5"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
PROPERTIES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

zones = st.sampled_from(ZONES)
clocks = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
starts = st.dates(date(2023, 1, 1), date(2024, 12, 31))


def exists(wall: datetime, where: ZoneInfo) -> bool:
    """Whether the wall time happens in ``where`` (not skipped by a change)."""
    there = wall.replace(tzinfo=where)
    return there.astimezone(UTC).astimezone(where).replace(tzinfo=None) == wall


def at_wall(wall: datetime, where: ZoneInfo) -> datetime:
    return wall.replace(tzinfo=where).astimezone(UTC)


@st.composite
def layers(draw: st.DrawFn, restricted: bool = False) -> dict[str, Any]:
    days = draw(st.sampled_from([1, 2, 3, 7, 14]))
    clock = draw(clocks)
    handoff = f"{clock:%H:%M}"
    if days % 7 == 0 and draw(st.booleans()):
        handoff = f"{draw(st.sampled_from(WEEKDAYS))} {handoff}"
    layer: dict[str, Any] = {
        "rotation": f"{days}d",
        "users": draw(st.lists(st.sampled_from(USERS), min_size=1, max_size=4)),
        "start": draw(starts).isoformat(),
        "handoffTime": handoff,
    }
    if restricted and draw(st.booleans()):
        start, end = draw(clocks), draw(clocks)
        layer["restrictions"] = [
            {"type": "daily", "start": f"{start:%H:%M}", "end": f"{end:%H:%M}"}
        ]
    return layer


def timeline(zone: str, layer_list: list[dict[str, Any]], **extra: Any) -> Timeline:
    return Timeline(Schedule.model_validate({"timezone": zone, "layers": layer_list, **extra}))


def window(line: Timeline, offset_hours: int, length_hours: int) -> tuple[datetime, datetime]:
    begins = line.coverage_start()
    assert begins is not None
    low = begins + timedelta(hours=offset_hours)
    return low, low + timedelta(hours=length_hours)


def holder(entries: list[Entry], at: datetime) -> str | None:
    return next((e.person for e in entries if e.start <= at < e.end), None)


@PROPERTIES
@given(
    zones,
    st.lists(layers(), min_size=1, max_size=3),
    st.integers(0, 400 * 24),
    st.integers(1, 60 * 24),
    st.lists(st.integers(0, 2**40), min_size=1, max_size=5),
)
def test_without_restrictions_exactly_one_person_is_always_on_call(
    zone: str, layer_list: list[dict[str, Any]], offset: int, length: int, probes: list[int]
) -> None:
    line = timeline(zone, layer_list)
    low, high = window(line, offset, length)
    entries = line.render(low, high)
    assert entries[0].start == low and entries[-1].end == high
    for before, after in itertools.pairwise(entries):
        assert before.start < before.end == after.start
        assert before.person != after.person  # merged
    for probe in probes:
        at = low + timedelta(microseconds=probe % ((high - low) // timedelta(microseconds=1)))
        person = line.person_at(at)
        assert person is not None and person == holder(entries, at)


@PROPERTIES
@given(
    st.sampled_from([z for z in ZONES if z not in ("UTC", "Asia/Kolkata")]),
    st.sampled_from([1, 7, 14]),
    clocks,
    starts,
    st.integers(2, 4),
)
def test_handoffs_happen_at_the_local_handoff_time_all_year(
    zone: str, days: int, clock: time, start: date, count: int
) -> None:
    layer = {
        "rotation": f"{days}d",
        "users": USERS[:count],
        "start": start.isoformat(),
        "handoffTime": f"{clock:%H:%M}",
    }
    line = timeline(zone, [layer])
    where = ZoneInfo(zone)
    low, high = window(line, 0, 366 * 24)
    entries = line.render(low, high)
    first = datetime.combine(start, clock)
    for index, entry in enumerate(entries):
        wall = first + timedelta(days=days * index)
        if exists(wall, where):
            local = entry.start.astimezone(where)
            assert (local.date(), local.time()) == (wall.date(), clock)
        else:  # a skipped wall time: the offset before the change, as RFC 5545 says
            assert entry.start == at_wall(wall, where)
    handoffs = (at_wall(first + timedelta(days=days * k), where) for k in range(400))
    assert len(entries) == sum(1 for handoff in handoffs if handoff < high)


@PROPERTIES
@given(zones, st.sampled_from([1, 2, 3, 7]), clocks, starts, st.integers(2, 5), st.data())
def test_whole_cycles_give_everyone_the_same_number_of_turns(
    zone: str, days: int, clock: time, start: date, count: int, data: st.DataObject
) -> None:
    users = USERS[:count]
    layer = {"rotation": f"{days}d", "users": users, "start": start.isoformat()}
    layer["handoffTime"] = f"{clock:%H:%M}"
    line = timeline(zone, [layer])
    where = ZoneInfo(zone)
    first_turn = data.draw(st.integers(0, 200))
    cycles = data.draw(st.integers(1, 3))
    first = datetime.combine(start, clock)
    low = at_wall(first + timedelta(days=days * first_turn), where)
    high = at_wall(first + timedelta(days=days * (first_turn + cycles * count)), where)
    turns = Counter(entry.person for entry in line.render(low, high))
    assert turns == dict.fromkeys(users, cycles)


@PROPERTIES
@given(
    zones,
    st.lists(layers(restricted=True), min_size=1, max_size=3),
    st.integers(0, 300 * 24),
    st.integers(0, 20 * 24 * 60),
    st.integers(1, 5 * 24 * 60),
    st.sampled_from([*USERS, "stand-in"]),
    st.integers(0, 5 * 24 * 60 * 60),
)
def test_an_override_wins_over_every_layer_and_changes_nothing_else(
    zone: str,
    layer_list: list[dict[str, Any]],
    offset: int,
    start_minutes: int,
    length_minutes: int,
    person: str,
    second: int,
) -> None:
    plain = timeline(zone, layer_list)
    low, high = window(plain, offset, 30 * 24)
    begins = low + timedelta(minutes=start_minutes)
    ends = begins + timedelta(minutes=length_minutes)
    override = {"person": person, "start": begins.isoformat(), "end": ends.isoformat()}
    overridden = timeline(zone, layer_list, overrides=[override])
    inside = begins + timedelta(seconds=second % (length_minutes * 60))
    assert overridden.person_at(inside) == person
    with_override = overridden.render(low, high)
    assert all(e.person == person for e in clipped(with_override, begins, ends))
    if ends < high:
        assert clipped(with_override, begins, ends)[-1].end == ends
    for outside in ((low, begins), (ends, high)):
        assert clipped(with_override, *outside) == clipped(plain.render(low, high), *outside)


def clipped(entries: list[Entry], low: datetime, high: datetime) -> list[Entry]:
    return [
        Entry(max(e.start, low), min(e.end, high), e.person)
        for e in entries
        if e.end > low and e.start < high
    ]


@PROPERTIES
@given(
    zones,
    st.lists(layers(restricted=True), min_size=1, max_size=3),
    st.integers(0, 400 * 24),
    st.lists(st.integers(0, 2**40), min_size=1, max_size=8),
)
def test_the_answer_at_an_instant_agrees_with_the_rendering(
    zone: str, layer_list: list[dict[str, Any]], offset: int, probes: list[int]
) -> None:
    line = timeline(zone, layer_list)
    low, high = window(line, offset, 20 * 24)
    entries = line.render(low, high)
    span = (high - low) // timedelta(microseconds=1)
    for probe in probes:
        at = low + timedelta(microseconds=probe % span)
        assert line.person_at(at) == holder(entries, at)
    for entry in entries:  # boundaries are where the answer changes
        assert line.person_at(entry.start) == entry.person
