"""A loaded ``oncall.yaml`` and its answers: who is on call, the rendered entries of a
schedule, and the escalation path of a service, each at an instant."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from drillbook.errors import DrillbookError
from drillbook.formats.oncall import OnCallFile, Person, Target, load_oncall
from drillbook.oncall.timeline import Entry, Shift, Timeline
from drillbook.oncall.zones import require_aware


@dataclass(frozen=True)
class EscalationStep:
    """Level ``level`` (1-based, counted across loops) of a path: ``people`` are notified
    ``after_minutes`` after the incident opens; ``delay_minutes`` later the next level is."""

    level: int
    delay_minutes: int
    people: tuple[str, ...]
    targets: tuple[str, ...]
    after_minutes: int


class Roster:
    """The people, schedules, policies and services of one on-call file."""

    def __init__(self, model: OnCallFile, path: Path | None = None) -> None:
        self.model = model
        self.source = path
        self._timelines: dict[str, Timeline] = {}

    @classmethod
    def load(cls, path: Path | str) -> Roster:
        """Read ``path``; a broken file raises LoadError(s) naming file:line:col."""
        return cls(load_oncall(path).model, Path(path))

    # -- look-ups ---------------------------------------------------------------------------
    def person(self, person_id: str) -> Person:
        return self.model.people[person_id]

    def timeline(self, schedule_id: str) -> Timeline:
        if schedule_id not in self.model.schedules:
            raise DrillbookError(_unknown("schedule", schedule_id, list(self.model.schedules)))
        if schedule_id not in self._timelines:
            self._timelines[schedule_id] = Timeline(self.model.schedules[schedule_id])
        return self._timelines[schedule_id]

    # -- answers ----------------------------------------------------------------------------
    def on_call(self, schedule_id: str, at: datetime) -> Shift:
        """Who is on call for ``schedule_id`` at ``at``, since and until when."""
        return self.timeline(schedule_id).shift_at(at)

    def render(self, schedule_id: str, start: datetime, end: datetime) -> list[Entry]:
        """The entries of ``schedule_id`` between ``start`` and ``end``."""
        return self.timeline(schedule_id).render(start, end)

    def path(self, service_id: str, at: datetime) -> list[EscalationStep]:
        """Whom an incident on ``service_id`` opened at ``at`` reaches, level by level:
        the policy's rules, repeated ``loops`` more times, each schedule resolved to who is
        on call when that level is paged (``at`` plus the level's ``after_minutes``), so a
        handoff during the escalation pages the person who took over."""
        at = require_aware(at)
        if service_id not in self.model.services:
            raise DrillbookError(_unknown("service", service_id, list(self.model.services)))
        policy = self.model.escalation_policies[self.model.services[service_id].escalation_policy]
        steps: list[EscalationStep] = []
        after = 0
        for _ in range(policy.loops + 1):
            for rule in policy.rules:
                paged_at = at + timedelta(minutes=after)
                people = _unique(self._resolve(target, paged_at) for target in rule.targets)
                labels = tuple(str(target) for target in rule.targets)
                steps.append(
                    EscalationStep(len(steps) + 1, rule.delay_minutes, people, labels, after)
                )
                after += rule.delay_minutes
        return steps

    def _resolve(self, target: Target, at: datetime) -> str | None:
        if target.person is not None:
            return target.person
        return self.timeline(str(target.schedule)).person_at(at)


def _unique(people: Iterable[str | None]) -> tuple[str, ...]:
    found: list[str] = []
    for person in people:
        if person is not None and person not in found:
            found.append(person)
    return tuple(found)


def _unknown(what: str, name: str, known: list[str]) -> str:
    listing = ", ".join(sorted(known)) if known else "none"
    return f"no {what} `{name}` in the on-call file (its {what}s: {listing})"
