"""The on-call format: the fixture and the seed's literal rotation load; mistakes are
reported at their file:line:col with what to change."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from drillbook.errors import DrillbookError, LoadError, LoadErrors
from drillbook.formats.oncall import (
    WeekTime,
    load_oncall,
    load_oncall_text,
    parse_rotation,
    parse_week_time,
)
from drillbook.oncall.zones import parse_instant

ROOT = Path(__file__).parent.parent
FIXTURE = ROOT / "fixtures" / "oncall.yaml"
SEED = Path(__file__).parent / "fixtures" / "oncall" / "seed-rotation.yaml"

BASE = """people:
  a: {name: A, email: a@holiday-aggregator.com}
  b: {name: B, email: b@holiday-aggregator.com}
schedules:
  s:
    timezone: Australia/Sydney
    layers:
      - rotation: weekly
        users: [a, b]
        start: 2024-01-01
        handoffTime: Monday 09:00
"""


def errors_of(text: str) -> list[LoadError]:
    with pytest.raises((LoadError, LoadErrors)) as caught:
        load_oncall_text(text, "oncall.yaml")
    error = caught.value
    return error.errors if isinstance(error, LoadErrors) else [error]  # type: ignore[return-value]


def only_error(text: str) -> tuple[int, int, str]:
    [error] = errors_of(text)
    return error.line, error.column, error.message


def line_of(text: str, token: str) -> int:
    return text[: text.index(token)].count("\n") + 1


def test_the_fixture_expresses_the_seed_rotation() -> None:
    model = load_oncall(FIXTURE).model
    primary, secondary = model.schedules["primary"], model.schedules["secondary"]
    assert primary.timezone == "Australia/Sydney"
    [layer] = primary.layers
    assert (layer.rotation, layer.users) == (7, ["engineer-1", "engineer-2", "engineer-3"])
    assert layer.handoff_time == WeekTime(0, time(9, 0))
    assert secondary.layers[0].users == ["senior-1", "senior-2"]
    [first, second] = model.escalation_policies["standard"].rules
    assert (first.targets[0].schedule, first.delay_minutes) == ("primary", 15)
    assert second.targets[0].schedule == "secondary"
    assert all(person.phone and person.email for person in model.people.values())


def test_the_seed_literal_rotation_reads_as_written() -> None:
    model = load_oncall(SEED).model
    assert model.people["engineer-2"].phone == "+61-xxx-xxx-xx2"
    assert model.people["senior-1"].timezone == "Australia/Sydney"
    layer = model.schedules["primary"].layers[0]
    assert layer.handoff_time == WeekTime(0, time(9, 0), "AEST")
    assert model.schedules["secondary"].layers[0].handoff_time is None
    assert model.escalation_policies["seed"].rules[0].delay_minutes == 15
    assert model.services["holiday-api"].escalation_policy == "seed"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Monday 09:00", WeekTime(0, time(9, 0))),
        ("sun 7:30", WeekTime(6, time(7, 30))),
        ("09:00", WeekTime(None, time(9, 0))),
        ("24:00", WeekTime(None, time(0, 0))),
        ("Friday 17:00 Australia/Sydney", WeekTime(4, time(17, 0), "Australia/Sydney")),
    ],
)
def test_week_times(text: str, expected: WeekTime) -> None:
    assert parse_week_time(text) == expected


@pytest.mark.parametrize(
    ("text", "days"), [("daily", 1), ("weekly", 7), ("Fortnightly", 14), ("3d", 3), ("2 weeks", 14)]
)
def test_rotation_lengths(text: str, days: int) -> None:
    assert parse_rotation(text) == days


def test_an_unknown_person_in_a_layer_points_at_the_name() -> None:
    text = BASE.replace("users: [a, b]", "users: [a, bb]")
    line, column, message = only_error(text)
    assert (line, column) == (line_of(text, "users:"), text.splitlines()[line - 1].index("bb") + 1)
    assert message == "unknown person `bb`; did you mean `b`?"


def test_a_misspelt_zone_gets_a_suggestion() -> None:
    text = BASE.replace("timezone: Australia/Sydney", "timezone: Australia/Sydny")
    line, _, message = only_error(text)
    assert line == line_of(text, "timezone:")
    assert "'Australia/Sydny' is not a time zone" in message
    assert "did you mean Australia/Sydney?" in message


def test_an_unquoted_time_is_explained() -> None:
    text = BASE.replace("handoffTime: Monday 09:00", "handoffTime: 9:00")
    line, _, message = only_error(text)
    assert line == line_of(text, "handoffTime")
    assert "as the number 540; write it in quotes: '09:00'" in message


def test_a_daily_rotation_takes_no_weekday() -> None:
    text = BASE.replace("rotation: weekly", "rotation: daily")
    _, _, message = only_error(text)
    assert "hands off every 1 day(s), not on a weekday; write only the time, like '09:00'" in (
        message
    )


def test_a_zone_label_must_name_the_schedule_zone() -> None:
    text = BASE.replace("Monday 09:00", "Monday 09:00 EST")
    line, _, message = only_error(text)
    assert line == line_of(text, "handoffTime")
    assert "'EST' is not a name of the schedule's zone Australia/Sydney" in message
    assert "AEDT, AEST" in message
    load_oncall_text(BASE.replace("Monday 09:00", "Monday 09:00 AEDT"))  # either name reads


def test_an_override_that_ends_before_it_starts() -> None:
    text = BASE + (
        "    overrides:\n      - {person: a, start: '2024-02-01T09:00', end: '2024-02-01T08:00'}\n"
    )
    line, _, message = only_error(text)
    assert line == line_of(text, "- {person: a")
    assert message == "`end` must come after `start`; swap them"


def test_several_problems_are_reported_together_in_file_order() -> None:
    text = BASE.replace("users: [a, b]", "users: [a, x]") + (
        "escalationPolicies:\n"
        "  p:\n"
        "    rules:\n"
        "      - targets: [{schedule: nope}]\n"
        "services:\n"
        "  api: {escalationPolicy: q}\n"
    )
    errors = errors_of(text)
    assert [(e.line, e.message.split(";")[0]) for e in errors] == [
        (line_of(text, "users:"), "unknown person `x`"),
        (line_of(text, "{schedule: nope}"), "unknown schedule `nope`"),
        (line_of(text, "escalationPolicy: q"), "unknown policy `q`"),
    ]
    assert str(errors[0]).startswith(f"oncall.yaml:{line_of(text, 'users:')}:")


def test_a_target_names_a_schedule_or_a_person_not_both() -> None:
    text = BASE + (
        "escalationPolicies:\n  p:\n    rules:\n      - targets: [{schedule: s, person: a}]\n"
    )
    line, _, message = only_error(text)
    assert line == line_of(text, "{schedule: s")
    assert "either a schedule or a person" in message


def test_unknown_keys_get_a_suggestion() -> None:
    text = BASE.replace("handoffTime:", "handofftime:")
    line, _, message = only_error(text)
    assert line == line_of(text, "handofftime")
    assert message == "unknown key `handofftime`; did you mean `handoffTime`?"


def test_dates_far_from_now_are_refused() -> None:
    _, _, message = only_error(BASE.replace("start: 2024-01-01", "start: 9999-12-31"))
    assert "on-call dates are in 1900-2999" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-04-07T09:00+10:00", datetime(2024, 4, 6, 23, 0, tzinfo=UTC)),
        ("2024-04-06T23:00Z", datetime(2024, 4, 6, 23, 0, tzinfo=UTC)),
        ("2024-04-07T09:00 Australia/Sydney", datetime(2024, 4, 6, 23, 0, tzinfo=UTC)),
        ("2024-04-06 09:00 Australia/Sydney", datetime(2024, 4, 5, 22, 0, tzinfo=UTC)),  # AEDT
        ("2024-04-07T09:00[UTC]", datetime(2024, 4, 7, 9, 0, tzinfo=UTC)),
    ],
)
def test_instants_from_the_command_line(text: str, expected: datetime) -> None:
    assert parse_instant(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("2024-04-07T09:00", "has no offset or zone"),
        ("2024-04-07T09:00 Mars/Olympus", "names no zone 'Mars/Olympus'"),
        ("next tuesday", "is not an ISO 8601 date-time"),
        ("2024-04-07T09:00+10:00 UTC", "has both an offset and a zone"),
    ],
)
def test_instants_without_a_zone_are_refused(text: str, problem: str) -> None:
    with pytest.raises(DrillbookError, match=problem):
        parse_instant(text)
