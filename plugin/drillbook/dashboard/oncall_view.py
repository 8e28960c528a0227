"""Who is on call now and next, per schedule, from the workspace's on-call file.

"Now" is the dashboard's clock (``--now`` or the current UTC time), as ``drillbook oncall now``
takes it. The handoff is shown in the schedule's own zone and in UTC. A missing file is an
empty state; a broken one is a problem message naming file:line, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from drillbook.errors import DrillbookError
from drillbook.oncall.roster import Roster
from drillbook.oncall.timeline import Shift

_LOOK_AHEAD = 8  # handoffs to step over when the same person stays on call


@dataclass(frozen=True)
class Person:
    """Someone on call: id, name and the ways to reach them."""

    person_id: str
    name: str
    contacts: tuple[str, ...]


@dataclass(frozen=True)
class ScheduleNow:
    """One schedule at the dashboard's instant."""

    schedule_id: str
    name: str
    timezone: str
    now: Person | None  # None: nobody is on call
    handoff: datetime | None  # when ``now`` hands over (None: not within drillbook's horizon)
    next: Person | None
    next_until: datetime | None

    @property
    def handoff_local(self) -> str:
        return _local(self.handoff, ZoneInfo(self.timezone)) if self.handoff else ""

    @property
    def handoff_utc(self) -> str:
        return _utc(self.handoff) if self.handoff else ""


@dataclass(frozen=True)
class OnCallView:
    """The schedules of the on-call file, or why there are none to show."""

    source: Path | None
    schedules: tuple[ScheduleNow, ...] = ()
    problem: str | None = None


def on_call_view(path: Path | None, now: datetime) -> OnCallView:
    """Every schedule of ``path`` at ``now``."""
    if path is None or not path.is_file():
        return OnCallView(path)
    try:
        roster = Roster.load(path)
        schedules = tuple(
            _schedule(roster, schedule_id, now) for schedule_id in roster.model.schedules
        )
    except (DrillbookError, ValueError, KeyError) as exc:
        return OnCallView(path, problem=str(exc))
    return OnCallView(path, schedules)


def _schedule(roster: Roster, schedule_id: str, now: datetime) -> ScheduleNow:
    shift = roster.on_call(schedule_id, now)
    model = roster.model.schedules[schedule_id]
    following = _next_shift(roster, schedule_id, shift)
    return ScheduleNow(
        schedule_id=schedule_id,
        name=model.name or schedule_id,
        timezone=str(model.timezone),
        now=_person(roster, shift.person),
        handoff=following.since if following else shift.until,
        next=_person(roster, following.person) if following else None,
        next_until=following.until if following else None,
    )


def _next_shift(roster: Roster, schedule_id: str, shift: Shift) -> Shift | None:
    """The first shift after ``shift`` with someone else (or nobody) on call."""
    current = shift
    for _ in range(_LOOK_AHEAD):
        if current.until is None:
            return None
        current = roster.on_call(schedule_id, current.until)
        if current.person != shift.person:
            return current
    return None


def _person(roster: Roster, person_id: str | None) -> Person | None:
    if person_id is None:
        return None
    person = roster.person(person_id)
    return Person(person_id, person.name, tuple(person.contacts()))


def _local(at: datetime, zone: ZoneInfo) -> str:
    return f"{at.astimezone(zone):%a %Y-%m-%d %H:%M %Z}"


def _utc(at: datetime) -> str:
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
