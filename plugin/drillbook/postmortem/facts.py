"""What a post-mortem draft knows: the facts a drill or an incident run recorded.

Every field is plain text or a number as it was recorded; ``None`` or an empty list means the
record does not say, and the draft leaves a prompt for people in its place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

SourceKind = Literal["drill", "incident"]


@dataclass(frozen=True)
class TimelineRow:
    """One row of the timeline table: when (UTC), what happened, and who did it."""

    at: datetime
    event: str
    actor: str | None


@dataclass(frozen=True)
class Person:
    """Someone who took part, with their role."""

    name: str
    role: str


@dataclass(frozen=True)
class ActionItemFact:
    """A follow-up recorded during the incident; missing parts become prompts."""

    action: str
    owner: str | None = None
    due: str | None = None
    priority: str | None = None


@dataclass(frozen=True)
class PostmortemFacts:
    """Everything the record says that a post-mortem asks for."""

    kind: SourceKind
    source: str  # what the draft was made from, e.g. "drill db-drill in reports/drill.json"
    incident_id: str | None = None
    title: str | None = None
    severity: str | None = None
    outcome: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_basis: str = ""  # what start and end measure, e.g. "fault injected to resolved"
    affected_services: list[str] = field(default_factory=list)
    runbook: str | None = None
    responders: list[Person] = field(default_factory=list)
    timeline: list[TimelineRow] = field(default_factory=list)
    what_happened: list[str] = field(default_factory=list)
    root_cause: list[str] = field(default_factory=list)
    detection: list[str] = field(default_factory=list)
    time_to_detect: float | None = None
    steps_taken: list[str] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)  # e.g. "time to mitigate: 4.52 s"
    impact: list[str] = field(default_factory=list)
    action_items: list[ActionItemFact] = field(default_factory=list)

    @property
    def duration(self) -> float | None:
        """Seconds from start to end, when both are known."""
        if self.started_at is None or self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()
