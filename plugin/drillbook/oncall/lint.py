"""Lint an on-call file: schema problems, schedules that leave nobody on call, people
nobody can reach, placeholder contact details, and policies that escalate to nobody.

Rules: ``schema``, ``oncall-gap`` (warning: a schedule with nobody on call at times within
a year of its last layer's first turn), ``oncall-no-contact`` (error: a person without
phone, Slack or email), ``placeholder-contact`` (warning, as for runbooks),
``oncall-empty-escalation`` (error: a policy without rules, a rule without targets, or a
rule whose only targets are schedules with nobody in them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from drillbook.formats.loader import validate_document
from drillbook.formats.oncall import EscalationRule, OnCallFile, check_consistency
from drillbook.formats.yaml_source import PathKey, SourceMap, load_yaml_file
from drillbook.lint.finding import Finding, Severity
from drillbook.lint.rules.contacts import PLACEHOLDER
from drillbook.lint.rules.schema import findings_from_error
from drillbook.oncall.timeline import Timeline
from drillbook.oncall.zones import wall

GAP_WINDOW = timedelta(days=366)
_CONTACT_FIELDS = ("name", "phone", "slack", "email")


def lint_oncall(path: Path | str) -> list[Finding]:
    """Every finding for the on-call file at ``path``, sorted; never raises."""
    path = Path(path)
    try:
        document = load_yaml_file(path)
        model = validate_document(document.data, document.source, OnCallFile, "on-call").model
    except Exception as error:  # LoadError(s), or whatever a hostile file provokes
        return findings_from_error(path, error)
    errors = check_consistency(model, document.source)
    if errors:
        return sorted(f for error in errors for f in findings_from_error(path, error))
    lint = _OnCallLint(path, model, document.source)
    return sorted([*lint.people(), *lint.gaps(), *lint.escalations()])


class _OnCallLint:
    def __init__(self, path: Path, model: OnCallFile, source: SourceMap) -> None:
        self.path = path
        self.model = model
        self.source = source

    def finding(
        self, key: PathKey, rule: str, severity: Severity, message: str, *, at_key: bool = True
    ) -> Finding:
        position = self.source.key_position(key) if at_key else self.source.value_position(key)
        return Finding(self.path, position[0], position[1], rule, severity, message)

    def people(self) -> Iterator[Finding]:
        for person_id, person in self.model.people.items():
            if not person.contacts():
                yield self.finding(
                    ("people", person_id),
                    "oncall-no-contact",
                    Severity.ERROR,
                    f"person `{person_id}` ({person.name}) has no phone, slack or email: "
                    "nobody could reach them when paged; add at least one",
                )
            for field in _CONTACT_FIELDS:
                value = getattr(person, field)
                if isinstance(value, str) and PLACEHOLDER.search(value):
                    yield self.finding(
                        ("people", person_id, field),
                        "placeholder-contact",
                        Severity.WARNING,
                        f"the {field} of person `{person_id}` is a placeholder ({value!r}); "
                        "put in the real one before an incident needs it",
                        at_key=False,
                    )

    def gaps(self) -> Iterator[Finding]:
        for schedule_id, schedule in self.model.schedules.items():
            key = ("schedules", schedule_id)
            timeline = Timeline(schedule)
            start = timeline.coverage_start()
            if start is None:
                yield self.finding(
                    key,
                    "oncall-gap",
                    Severity.WARNING,
                    f"schedule `{schedule_id}` has no layers: nobody is on call outside its "
                    "overrides; add a layer with users",
                )
                continue
            gaps = timeline.gaps(start, start + GAP_WINDOW)
            if gaps:
                yield self.finding(
                    key, "oncall-gap", Severity.WARNING, _gap_message(schedule_id, timeline, gaps)
                )

    def escalations(self) -> Iterator[Finding]:
        for policy_id, policy in self.model.escalation_policies.items():
            key: PathKey = ("escalationPolicies", policy_id)
            if not policy.rules:
                yield self.finding(
                    key,
                    "oncall-empty-escalation",
                    Severity.ERROR,
                    f"policy `{policy_id}` has no rules: it escalates to nobody; add a rule "
                    "with targets",
                )
            for index, rule in enumerate(policy.rules):
                problem = self._empty_rule(rule)
                if problem:
                    yield self.finding(
                        (*key, "rules", index),
                        "oncall-empty-escalation",
                        Severity.ERROR,
                        f"rule {index + 1} of policy `{policy_id}` {problem}",
                        at_key=False,
                    )

    def _empty_rule(self, rule: EscalationRule) -> str | None:
        if not rule.targets:
            return "has no targets: it escalates to nobody; add a schedule or a person"
        schedules = [self.model.schedules[str(t.schedule)] for t in rule.targets if t.schedule]
        if len(schedules) == len(rule.targets) and not any(
            s.layers or s.overrides for s in schedules
        ):
            return (
                "targets only schedules with no layers or overrides: it escalates to nobody; "
                "add users to them or target a person"
            )
        return None


def _gap_message(
    schedule_id: str, timeline: Timeline, gaps: list[tuple[datetime, datetime]]
) -> str:
    zone = timeline.zone
    low, high = gaps[0]
    times = "once" if len(gaps) == 1 else f"{len(gaps)} times"
    return (
        f"schedule `{schedule_id}` leaves nobody on call {times} in the year after its "
        f"layers all begin, first from {_local(low, zone)} to {_local(high, zone)} "
        f"({timeline.schedule.timezone}); add a layer or widen the restrictions"
    )


def _local(at: datetime, zone: ZoneInfo) -> str:
    return f"{wall(at, zone):%a %Y-%m-%d %H:%M}"
