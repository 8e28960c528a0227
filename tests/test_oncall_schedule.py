"""Who is on call, rendered entries and escalation paths, checked against instants worked
out by hand (Sydney: AEDT is UTC+11 until 2024-04-07 03:00, AEST UTC+10 until 2024-10-06
02:00, then AEDT again)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from drillbook.errors import DrillbookError
from drillbook.formats.oncall import load_oncall_text
from drillbook.oncall import Entry, EscalationStep, Roster
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).parent.parent
FIXTURE = ROOT / "fixtures" / "oncall.yaml"
SEED = Path(__file__).parent / "fixtures" / "oncall" / "seed-rotation.yaml"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def roster(text: str) -> Roster:
    return Roster(load_oncall_text(text).model)


PEOPLE = """
people:
  a: {name: A, email: a@holiday-aggregator.com}
  b: {name: B, email: b@holiday-aggregator.com}
  c: {name: C, email: c@holiday-aggregator.com}
  d: {name: D, email: d@holiday-aggregator.com}
"""


@pytest.fixture(scope="module")
def fixture() -> Roster:
    return Roster.load(FIXTURE)


# -- the seed's rotation across both daylight-saving changes of 2024 ---------------------------


@pytest.mark.parametrize(
    ("at", "person"),
    [
        ("2024-01-01T21:59", "engineer-1"),  # Mon 2024-01-01 09:00 AEDT is 2023-12-31T22:00Z
        ("2024-03-31T21:59", "engineer-1"),
        ("2024-03-31T22:00", "engineer-2"),  # Mon 04-01 09:00 AEDT
        ("2024-04-07T22:59", "engineer-2"),  # DST ended on Sunday: the turn is 169 hours
        ("2024-04-07T23:00", "engineer-3"),  # Mon 04-08 09:00 AEST
        ("2024-09-29T22:59", "engineer-3"),
        ("2024-09-29T23:00", "engineer-1"),  # Mon 09-30 09:00 AEST
        ("2024-10-06T21:59", "engineer-1"),  # DST began on Sunday: the turn is 167 hours
        ("2024-10-06T22:00", "engineer-2"),  # Mon 10-07 09:00 AEDT
    ],
)
def test_primary_hands_off_at_nine_sydney_time(fixture: Roster, at: str, person: str) -> None:
    assert fixture.on_call("primary", utc(at)).person == person


def test_the_shift_says_since_and_until(fixture: Roster) -> None:
    shift = fixture.on_call("primary", utc("2024-04-05T00:00"))
    assert (shift.person, shift.since, shift.until) == (
        "engineer-2",
        utc("2024-03-31T22:00"),
        utc("2024-04-07T23:00"),
    )


def test_render_gives_the_turns_clipped_to_the_window(fixture: Roster) -> None:
    entries = fixture.render("primary", utc("2024-04-03T00:00"), utc("2024-04-20T00:00"))
    assert entries == [
        Entry(utc("2024-04-03T00:00"), utc("2024-04-07T23:00"), "engineer-2"),
        Entry(utc("2024-04-07T23:00"), utc("2024-04-14T23:00"), "engineer-3"),
        Entry(utc("2024-04-14T23:00"), utc("2024-04-20T00:00"), "engineer-1"),
    ]


def test_before_the_first_handoff_nobody_is_on_call(fixture: Roster) -> None:
    shift = fixture.on_call("primary", utc("2023-12-31T21:00"))
    assert (shift.person, shift.until) == (None, utc("2023-12-31T22:00"))
    assert fixture.render("primary", utc("2023-12-01T00:00"), utc("2023-12-31T22:00")) == []


def test_the_seed_literal_file_reads_and_its_secondary_hands_off_at_its_start() -> None:
    seed = Roster.load(SEED)
    assert seed.on_call("primary", utc("2024-04-07T23:00")).person == "engineer-3"
    # no handoffTime: the secondary hands off at its start, Monday 00:00 Sydney time
    assert seed.on_call("secondary", utc("2024-01-07T12:59")).person == "senior-1"
    assert seed.on_call("secondary", utc("2024-01-07T13:00")).person == "senior-2"
    assert seed.on_call("secondary", utc("2024-04-07T13:59")).person == "senior-2"
    assert seed.on_call("secondary", utc("2024-04-07T14:00")).person == "senior-1"  # AEST


def test_unknown_schedule_names_the_known_ones(fixture: Roster) -> None:
    with pytest.raises(DrillbookError, match=r"no schedule `tertiary`.*primary, secondary"):
        fixture.on_call("tertiary", utc("2024-01-01T00:00"))


def test_a_naive_instant_is_refused(fixture: Roster) -> None:
    with pytest.raises(ValueError, match="time zone or offset"):
        fixture.on_call("primary", datetime(2024, 1, 1))


# -- layers, restrictions, overrides -------------------------------------------------------------

LAYERED = (
    PEOPLE
    + """
schedules:
  support:
    timezone: Europe/London
    layers:
      - rotation: weekly           # a and b, weekly, all hours
        users: [a, b]
        start: 2024-03-04
        handoffTime: Monday 10:00
      - rotation: daily            # c on weekdays' office hours, over a and b
        users: [c]
        start: 2024-03-04
        handoffTime: "08:00"
        restrictions:
          - {type: daily, start: "09:00", end: "17:00"}
    overrides:
      - {person: d, start: "2024-03-06T12:00", end: "2024-03-06T14:00"}
      - {person: a, start: "2024-03-06T13:00Z", end: "2024-03-06T13:30Z"}
"""
)


def test_higher_layers_fill_their_windows_and_overrides_win() -> None:
    entries = roster(LAYERED).render("support", utc("2024-03-06T00:00"), utc("2024-03-07T00:00"))
    assert entries == [
        Entry(utc("2024-03-06T00:00"), utc("2024-03-06T09:00"), "a"),
        Entry(utc("2024-03-06T09:00"), utc("2024-03-06T12:00"), "c"),
        Entry(utc("2024-03-06T12:00"), utc("2024-03-06T13:00"), "d"),
        Entry(utc("2024-03-06T13:00"), utc("2024-03-06T13:30"), "a"),  # the later override
        Entry(utc("2024-03-06T13:30"), utc("2024-03-06T14:00"), "d"),
        Entry(utc("2024-03-06T14:00"), utc("2024-03-06T17:00"), "c"),
        Entry(utc("2024-03-06T17:00"), utc("2024-03-07T00:00"), "a"),
    ]


def test_restriction_windows_are_wall_times_after_the_clocks_change() -> None:
    # London moves to BST (UTC+1) on 2024-03-31: office hours are then 08:00-16:00 UTC
    entries = roster(LAYERED).render("support", utc("2024-04-02T00:00"), utc("2024-04-03T00:00"))
    assert [(e.start, e.end, e.person) for e in entries] == [
        (utc("2024-04-02T00:00"), utc("2024-04-02T08:00"), "a"),
        (utc("2024-04-02T08:00"), utc("2024-04-02T16:00"), "c"),
        (utc("2024-04-02T16:00"), utc("2024-04-03T00:00"), "a"),
    ]


def test_adjacent_spans_of_one_person_are_merged() -> None:
    text = (
        PEOPLE
        + """
schedules:
  s:
    timezone: UTC
    layers:
      - {rotation: daily, users: [a], start: 2024-01-01, handoffTime: "09:00"}
    overrides:
      - {person: a, start: "2024-01-02T00:00", end: "2024-01-03T00:00"}
"""
    )
    entries = roster(text).render("s", utc("2024-01-01T09:00"), utc("2024-01-05T09:00"))
    assert entries == [Entry(utc("2024-01-01T09:00"), utc("2024-01-05T09:00"), "a")]


def test_a_restricted_layer_alone_leaves_gaps_and_the_shift_says_when_they_end() -> None:
    text = (
        PEOPLE
        + """
schedules:
  office:
    timezone: America/New_York
    layers:
      - rotation: weekly
        users: [a, b]
        start: 2024-11-04
        handoffTime: Monday 09:00
        restrictions:
          - {type: weekly, start: "Monday 09:00", end: "Friday 17:00"}
"""
    )
    office = roster(text)
    # Saturday: nobody until Monday 09:00 EST (14:00 UTC)
    shift = office.on_call("office", utc("2024-11-09T12:00"))
    assert (shift.person, shift.since, shift.until) == (
        None,
        utc("2024-11-08T22:00"),
        utc("2024-11-11T14:00"),
    )
    assert office.on_call("office", utc("2024-11-11T14:00")).person == "b"
    assert office.timeline("office").gaps(utc("2024-11-08T00:00"), utc("2024-11-12T00:00")) == [
        (utc("2024-11-08T22:00"), utc("2024-11-11T14:00"))
    ]


def test_a_layer_ends_at_its_end() -> None:
    text = (
        PEOPLE
        + """
schedules:
  s:
    timezone: UTC
    layers:
      - {rotation: weekly, users: [a, b], start: 2024-01-01, end: "2024-01-10T12:00"}
"""
    )
    entries = roster(text).render("s", utc("2024-01-01T00:00"), utc("2024-02-01T00:00"))
    assert entries == [
        Entry(utc("2024-01-01T00:00"), utc("2024-01-08T00:00"), "a"),
        Entry(utc("2024-01-08T00:00"), utc("2024-01-10T12:00"), "b"),
    ]


def test_a_start_between_handoffs_begins_at_the_next_handoff() -> None:
    text = (
        PEOPLE
        + """
schedules:
  s:
    timezone: UTC
    layers:
      - {rotation: 2w, users: [a, b], start: 2024-01-03, handoffTime: "Mon 09:00"}
"""
    )
    entries = roster(text).render("s", utc("2024-01-01T00:00"), utc("2024-02-06T00:00"))
    assert entries == [
        Entry(utc("2024-01-08T09:00"), utc("2024-01-22T09:00"), "a"),
        Entry(utc("2024-01-22T09:00"), utc("2024-02-05T09:00"), "b"),
        Entry(utc("2024-02-05T09:00"), utc("2024-02-06T00:00"), "a"),
    ]


# -- escalation ----------------------------------------------------------------------------------


def test_the_fixture_escalates_to_the_secondary_after_15_minutes(fixture: Roster) -> None:
    path = fixture.path("holiday-api", utc("2024-04-07T22:30"))
    assert path == [
        EscalationStep(1, 15, ("engineer-2",), ("schedule primary",), 0),
        EscalationStep(2, 15, ("senior-2",), ("schedule secondary",), 15),
        # loops: 1; level 3 is paged at 23:00 UTC, Monday 09:00 in Sydney: the handoff
        EscalationStep(3, 15, ("engineer-3",), ("schedule primary",), 30),
        EscalationStep(4, 15, ("senior-1",), ("schedule secondary",), 45),
    ]
    later = fixture.path("holiday-api", utc("2024-04-07T23:00"))
    assert [step.people for step in later[:2]] == [("engineer-3",), ("senior-1",)]


_INSTANTS = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_INSTANTS)
def test_each_level_pages_whoever_is_on_call_when_it_is_paged(
    fixture: Roster, at: datetime
) -> None:
    path = fixture.path("holiday-api", at)
    assert [step.after_minutes for step in path] == [0, 15, 30, 45]
    for step, schedule in zip(path, ["primary", "secondary", "primary", "secondary"], strict=True):
        paged_at = at + timedelta(minutes=step.after_minutes)
        assert step.people == (fixture.on_call(schedule, paged_at).person,), (step, paged_at)


def test_a_path_resolves_people_and_schedules_with_nobody_on_call() -> None:
    text = (
        PEOPLE
        + """
schedules:
  days:
    timezone: UTC
    layers:
      - rotation: daily
        users: [a]
        start: 2024-01-01
        restrictions: [{type: daily, start: "09:00", end: "17:00"}]
escalationPolicies:
  p:
    loops: 0
    rules:
      - {targets: [{schedule: days}, {person: b}, {person: b}], delayMinutes: 5}
      - {targets: [{person: c}]}
services:
  api: p
"""
    )
    rota = roster(text)
    assert rota.path("api", utc("2024-01-02T10:00")) == [
        EscalationStep(1, 5, ("a", "b"), ("schedule days", "person b", "person b"), 0),
        EscalationStep(2, 30, ("c",), ("person c",), 5),
    ]
    night = rota.path("api", utc("2024-01-02T20:00"))
    assert [step.people for step in night] == [("b",), ("c",)]
    with pytest.raises(DrillbookError, match=r"no service `web`.*api"):
        rota.path("web", utc("2024-01-02T20:00"))
