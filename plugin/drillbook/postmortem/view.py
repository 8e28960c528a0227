"""Post-mortem facts as the text the template shows: instants in UTC, durations in words.

Every field is plain text (the template escapes it) or None where the template puts a prompt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from drillbook.postmortem.facts import ActionItemFact, PostmortemFacts
from drillbook.report.formatting import seconds

TTD_BASIS = {
    "drill": "from the fault injected to the incident detected",
    "incident": "from the start of the impact to detection",
}


@dataclass(frozen=True)
class RowView:
    """A timeline row as shown."""

    time: str
    event: str
    actor: str | None


@dataclass(frozen=True)
class PostmortemView:
    """Everything the post-mortem template shows."""

    kind: str
    id: str | None
    title: str | None
    date: str | None
    start: str | None
    end: str | None
    duration: str | None
    severity: str | None
    services: str | None
    runbook: str | None
    responders: str | None
    source: str
    outcome: str | None
    timeline: list[RowView]
    what_happened: list[str]
    root_cause: list[str]
    detection: list[str]
    time_to_detect: str | None
    steps: list[str]
    figures: list[str]
    impact: list[str]
    action_items: list[ActionItemFact]


def postmortem_view(facts: PostmortemFacts) -> PostmortemView:
    """The display text of ``facts``."""
    day = facts.started_at.date() if facts.started_at else None
    return PostmortemView(
        kind=facts.kind,
        id=facts.incident_id,
        title=facts.title,
        date=day.isoformat() if day else None,
        start=_clock(facts.started_at, day, " UTC"),
        end=_clock(facts.ended_at, day, " UTC"),
        duration=_duration(facts),
        severity=facts.severity,
        services=", ".join(facts.affected_services) or None,
        runbook=facts.runbook,
        responders=", ".join(f"{p.name} ({p.role})" for p in facts.responders) or None,
        source=facts.source,
        outcome=facts.outcome,
        timeline=[
            RowView(_clock(row.at, day) or "", row.event, row.actor) for row in facts.timeline
        ],
        what_happened=facts.what_happened,
        root_cause=facts.root_cause,
        detection=facts.detection,
        time_to_detect=_figure(facts.time_to_detect, TTD_BASIS[facts.kind]),
        steps=facts.steps_taken,
        figures=facts.figures,
        impact=facts.impact,
        action_items=facts.action_items,
    )


def _clock(moment: datetime | None, day: date | None, suffix: str = "") -> str | None:
    """``13:04:05`` on the incident's day, ``2026-05-02 01:00:00`` on another one (UTC)."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    shown = moment.strftime("%H:%M:%S")
    if moment.date() != day:
        shown = f"{moment.date().isoformat()} {shown}"
    return shown + suffix


def _duration(facts: PostmortemFacts) -> str | None:
    total = facts.duration
    if total is None:
        return None
    return f"{seconds(total)}, {facts.duration_basis}" if facts.duration_basis else seconds(total)


def _figure(value: float | None, basis: str) -> str | None:
    return None if value is None else f"{seconds(value)} ({basis})"
