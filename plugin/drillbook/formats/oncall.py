"""The on-call format (``oncall.yaml``): people, schedules, escalation policies and services.

::

    people:
      alice: {name: Alice Ng, timezone: Australia/Sydney, phone: "+61 2 5550 1234",
              slack: "@alice", email: alice@holiday-aggregator.com}
    schedules:
      primary:
        timezone: Australia/Sydney
        layers:                      # later layers win over earlier ones where both cover
          - rotation: weekly         # daily, weekly, or a number of days/weeks: 3d, 2w
            users: [alice, bob, carol]
            start: 2024-01-01        # anchor in the schedule's zone; first turn at the
            handoffTime: Monday 09:00  # first handoff at or after it (local wall time)
            restrictions:            # optional: on call only inside these windows
              - {type: daily, start: "09:00", end: "17:00"}
              - {type: weekly, start: "Saturday 09:00", end: "Monday 09:00"}
        overrides:                   # win over every layer
          - {person: bob, start: "2024-03-04T09:00", end: "2024-03-05T09:00"}
    escalationPolicies:
      standard:
        loops: 0                     # extra passes through the rules after the first
        rules:
          - targets: [{schedule: primary}]
            delayMinutes: 15         # before the next rule
          - targets: [{schedule: secondary}, {person: alice}]
    services:
      holiday-api: {escalationPolicy: standard}

Times without an offset are wall times in the schedule's zone. A window runs from its start
to the next time its end comes round (a whole day or week when both are the same). Times
must be quoted when written as ``H:MM`` (YAML reads ``9:00`` unquoted as the number 540).
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import re
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PlainSerializer, PlainValidator, WithJsonSchema, model_validator

from drillbook.errors import LoadError, LoadErrors
from drillbook.formats.common import CamelModel, Identifier
from drillbook.formats.loader import Loaded, load_model, load_model_text
from drillbook.formats.yaml_source import PathKey, SourceMap

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEK_TIME = re.compile(
    r"^\s*(?:(?P<day>[A-Za-z]+)\s+)?(?P<hour>\d{1,2}):(?P<minute>\d{2})(?:\s+(?P<zone>\S+))?\s*$"
)
_ROTATION = re.compile(r"^\s*(?P<count>\d+)\s*(?P<unit>d|days?|w|weeks?)\s*$", re.I)
FIRST_YEAR, LAST_YEAR = 1900, 2999  # far from datetime's limits: answers look years ahead
_NAMED_ROTATIONS = {"daily": 1, "weekly": 7, "fortnightly": 14}


# -- value types ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekTime:
    """A wall time, optionally on a weekday (0 = Monday), optionally naming its zone."""

    weekday: int | None
    clock: time
    zone_label: str | None = None

    def __str__(self) -> str:
        day = f"{WEEKDAYS[self.weekday].title()} " if self.weekday is not None else ""
        zone = f" {self.zone_label}" if self.zone_label else ""
        return f"{day}{self.clock:%H:%M}{zone}"


def parse_week_time(value: Any) -> WeekTime:
    """``09:00``, ``Monday 09:00``, ``Mon 9:00 AEST``, ``24:00`` (midnight, for ends)."""
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(
            f"YAML reads an unquoted time like {value // 60}:{value % 60:02d} as the number "
            f"{value}; write it in quotes: '{value // 60:02d}:{value % 60:02d}'"
        )
    match = _WEEK_TIME.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(
            f"{value!r} is not a time; write 'HH:MM' or 'Weekday HH:MM', like 'Monday 09:00'"
        )
    hour, minute = int(match["hour"]), int(match["minute"])
    if (hour, minute) == (24, 0):
        hour = 0
    elif hour > 23 or minute > 59:
        raise ValueError(f"{value!r}: hours run 00-23 and minutes 00-59")
    return WeekTime(_weekday(match["day"]), time(hour, minute), match["zone"])


def _weekday(name: str | None) -> int | None:
    if name is None:
        return None
    lowered = name.lower()
    for index, day in enumerate(WEEKDAYS):
        if lowered in (day, day[:3]):
            return index
    raise ValueError(f"{name!r} is not a weekday; write Monday, Tuesday, ... or Mon, Tue, ...")


def parse_rotation(value: Any) -> int:
    """The length of a turn in days: ``daily``, ``weekly``, ``fortnightly``, ``3d``, ``2w``."""
    if isinstance(value, str):
        named = _NAMED_ROTATIONS.get(value.strip().lower())
        if named is not None:
            return named
        match = _ROTATION.match(value)
        if match and int(match["count"]) > 0:
            per = 7 if match["unit"].lower().startswith("w") else 1
            return int(match["count"]) * per
    raise ValueError(
        f"{value!r} is not a rotation length; write daily, weekly, fortnightly, or a number "
        "of days or weeks such as '3d' or '2w'"
    )


def parse_when(value: Any) -> datetime:
    """A date or date-time; without an offset it is a wall time in the schedule's zone."""
    parsed: datetime | None = None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    elif isinstance(value, str):
        with contextlib.suppress(ValueError):
            parsed = datetime.fromisoformat(value.strip())
    if parsed is not None:
        if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
            raise ValueError(f"{value!r}: on-call dates are in {FIRST_YEAR}-{LAST_YEAR}")
        return parsed
    raise ValueError(
        f"{value!r} is not a date or time; write ISO 8601 such as 2024-01-01, "
        "'2024-01-01T09:00' (in the schedule's zone) or '2024-01-01T09:00+11:00'"
    )


@functools.cache
def known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def parse_zone(value: Any) -> str:
    """An IANA time zone name such as ``Australia/Sydney``."""
    if isinstance(value, str) and value.strip():
        try:
            zoneinfo.ZoneInfo(value)
            return value
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            pass
    hint = difflib.get_close_matches(str(value), sorted(known_zones()), n=1, cutoff=0.6)
    suggestion = f"; did you mean {hint[0]}?" if hint else ""
    raise ValueError(
        f"{value!r} is not a time zone; use an IANA name such as Australia/Sydney{suggestion}"
    )


_STRING_SCHEMA = WithJsonSchema({"type": "string"})
WeekTimeField = Annotated[
    WeekTime, PlainValidator(parse_week_time), PlainSerializer(str), _STRING_SCHEMA
]
RotationDays = Annotated[
    int,
    PlainValidator(parse_rotation),
    WithJsonSchema({"anyOf": [{"enum": list(_NAMED_ROTATIONS)}, {"type": "string"}]}),
]
When = Annotated[
    datetime,
    PlainValidator(parse_when),
    PlainSerializer(datetime.isoformat),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
ZoneName = Annotated[str, PlainValidator(parse_zone), _STRING_SCHEMA]
Text = Annotated[str, Field(min_length=1)]


# -- the model ------------------------------------------------------------------------------


class Person(CamelModel):
    """Someone who can be on call, and how to reach them."""

    name: Text
    timezone: ZoneName | None = None
    phone: str | None = None
    slack: str | None = None
    email: str | None = None

    def contacts(self) -> list[str]:
        """The ways to reach this person, as written (phone, Slack, email)."""
        return [value for value in (self.phone, self.slack, self.email) if value]


class Restriction(CamelModel):
    """A window a layer covers: every day (``09:00``) or every week (``Monday 09:00``)."""

    type: Literal["daily", "weekly"]
    start: WeekTimeField
    end: WeekTimeField

    @model_validator(mode="after")
    def _days_match_the_type(self) -> Restriction:
        for bound in (self.start, self.end):
            if bound.zone_label:
                raise ValueError(
                    f"a restriction is in the schedule's zone; drop {bound.zone_label!r}"
                )
            if self.type == "daily" and bound.weekday is not None:
                raise ValueError("a daily restriction takes times only, like '09:00'")
            if self.type == "weekly" and bound.weekday is None:
                raise ValueError("a weekly restriction takes a weekday, like 'Monday 09:00'")
        return self


class Layer(CamelModel):
    """Users taking turns of ``rotation`` days, handing off at ``handoffTime`` (wall time).

    The first turn begins at the first handoff at or after ``start``; without
    ``handoffTime`` the handoff is at ``start``'s weekday and time."""

    name: str | None = None
    users: Annotated[list[Identifier], Field(min_length=1)]
    rotation: RotationDays
    start: When
    end: When | None = None
    handoff_time: WeekTimeField | None = None
    restrictions: list[Restriction] = Field(default_factory=list)

    @model_validator(mode="after")
    def _handoff_fits_the_rotation(self) -> Layer:
        handoff = self.handoff_time
        if handoff is not None and handoff.weekday is not None and self.rotation % 7:
            raise ValueError(
                f"a rotation of {self.rotation} day(s) hands off every {self.rotation} day(s), "
                f"not on a weekday; write only the time, like '{handoff.clock:%H:%M}'"
            )
        return self


class Override(CamelModel):
    """``person`` is on call from ``start`` to ``end``, whatever the layers say."""

    person: Identifier
    start: When
    end: When
    reason: str | None = None


class Schedule(CamelModel):
    """Layers of rotations and overrides in one time zone."""

    name: str | None = None
    description: str | None = None
    timezone: ZoneName
    layers: list[Layer] = Field(default_factory=list)
    overrides: list[Override] = Field(default_factory=list)


class Target(CamelModel):
    """Whom a rule notifies: whoever is on call for ``schedule``, or ``person``."""

    schedule: Identifier | None = None
    person: Identifier | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Target:
        if (self.schedule is None) == (self.person is None):
            raise ValueError("a target names either a schedule or a person, like {schedule: x}")
        return self

    def __str__(self) -> str:
        return f"schedule {self.schedule}" if self.schedule else f"person {self.person}"


class EscalationRule(CamelModel):
    """Targets notified together; ``delayMinutes`` later the next rule is notified."""

    targets: list[Target] = Field(default_factory=list)
    delay_minutes: Annotated[int, Field(ge=1, le=10080)] = 30


class EscalationPolicy(CamelModel):
    """Ordered rules; ``loops`` is how many more times they repeat after the first pass."""

    name: str | None = None
    description: str | None = None
    loops: Annotated[int, Field(ge=0, le=9)] = 0
    rules: list[EscalationRule] = Field(default_factory=list)


class Service(CamelModel):
    """Something that can have an incident, and the policy that pages for it."""

    escalation_policy: Identifier
    description: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _policy_shorthand(cls, data: Any) -> Any:
        return {"escalationPolicy": data} if isinstance(data, str) else data


class OnCallFile(CamelModel):
    """A whole ``oncall.yaml``: everything is keyed by its id."""

    people: dict[Identifier, Person] = Field(default_factory=dict)
    schedules: dict[Identifier, Schedule] = Field(default_factory=dict)
    escalation_policies: dict[Identifier, EscalationPolicy] = Field(default_factory=dict)
    services: dict[Identifier, Service] = Field(default_factory=dict)


# -- loading --------------------------------------------------------------------------------


def load_oncall(path: Path | str) -> Loaded[OnCallFile]:
    """Load and check an on-call file; raises LoadError or LoadErrors with positions."""
    loaded = load_model(path, OnCallFile, "on-call")
    _raise_all(check_consistency(loaded.model, loaded.source))
    return loaded


def load_oncall_text(text: str, path: str = "<string>") -> Loaded[OnCallFile]:
    loaded = load_model_text(text, OnCallFile, "on-call", path)
    _raise_all(check_consistency(loaded.model, loaded.source))
    return loaded


def _raise_all(errors: list[LoadError]) -> None:
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise LoadErrors(errors)


def check_consistency(model: OnCallFile, source: SourceMap) -> list[LoadError]:
    """What validation of each part cannot see: references between parts, zone labels, and
    spans that end before they start."""
    checker = _Checker(model, source)
    for schedule_id, schedule in model.schedules.items():
        checker.schedule(schedule_id, schedule)
    for policy_id, policy in model.escalation_policies.items():
        checker.policy(policy_id, policy)
    for service_id, service in model.services.items():
        key = ("services", service_id, "escalationPolicy")
        checker.reference(key, service.escalation_policy, model.escalation_policies, "policy")
    return sorted(checker.errors, key=lambda e: (e.line, e.column))


class _Checker:
    def __init__(self, model: OnCallFile, source: SourceMap) -> None:
        self.model = model
        self.source = source
        self.errors: list[LoadError] = []

    def reference(self, key: PathKey, name: str, known: dict[str, Any], what: str) -> None:
        if name in known:
            return
        hint = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
        if hint:
            advice = f"did you mean `{hint[0]}`?"
        elif known:
            advice = f"known: {', '.join(sorted(known))}"
        else:
            advice = f"the file defines no {what}"
        self.errors.append(self.source.error(key, f"unknown {what} `{name}`; {advice}"))

    def schedule(self, schedule_id: str, schedule: Schedule) -> None:
        base: PathKey = ("schedules", schedule_id)
        zone = zoneinfo.ZoneInfo(schedule.timezone)
        for index, layer in enumerate(schedule.layers):
            key = (*base, "layers", index)
            for position, user in enumerate(layer.users):
                self.reference((*key, "users", position), user, self.model.people, "person")
            self.order(key, layer.start, layer.end, zone)
            label = layer.handoff_time.zone_label if layer.handoff_time else None
            if label and label != schedule.timezone and label not in zone_labels(zone):
                self.errors.append(
                    self.source.error(
                        (*key, "handoffTime"),
                        f"{label!r} is not a name of the schedule's zone {schedule.timezone} "
                        f"(its names: {', '.join(sorted(zone_labels(zone)))}); the handoff "
                        "is a wall time in the schedule's zone: drop the zone or fix it",
                    )
                )
        for index, override in enumerate(schedule.overrides):
            key = (*base, "overrides", index)
            self.reference((*key, "person"), override.person, self.model.people, "person")
            self.order(key, override.start, override.end, zone)

    def order(self, key: PathKey, start: datetime, end: datetime | None, zone: Any) -> None:
        if end is not None and as_utc(end, zone) <= as_utc(start, zone):
            self.errors.append(
                self.source.error((*key, "end"), "`end` must come after `start`; swap them")
            )

    def policy(self, policy_id: str, policy: EscalationPolicy) -> None:
        for rule_index, rule in enumerate(policy.rules):
            for index, target in enumerate(rule.targets):
                key = ("escalationPolicies", policy_id, "rules", rule_index, "targets", index)
                if target.schedule is not None:
                    known: dict[str, Any] = dict(self.model.schedules)
                    self.reference((*key, "schedule"), target.schedule, known, "schedule")
                elif target.person is not None:
                    self.reference((*key, "person"), target.person, self.model.people, "person")


def as_utc(value: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    """An instant: ``value`` itself when it has an offset, else a wall time in ``zone``
    (a wall time that does not exist or exists twice takes the offset before the change)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(zoneinfo.ZoneInfo("UTC"))


@functools.cache
def zone_labels(zone: zoneinfo.ZoneInfo) -> frozenset[str]:
    """The abbreviations a zone uses around now (AEST and AEDT for Australia/Sydney)."""
    year = datetime.now().year
    names = {
        zone.tzname(datetime(y, 1, 1) + timedelta(days=d))
        for y in (year - 1, year)
        for d in range(0, 366, 7)
    }
    return frozenset(name for name in names if name)
