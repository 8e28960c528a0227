"""What the history store holds: drill runs and incidents, as frozen records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

CLOSED_STATUSES = frozenset({"resolved", "aborted", "dry_run"})
"""Incident statuses that end an incident even when no closing time was recorded."""


@dataclass(frozen=True)
class DrillRun:
    """One drill's outcome in one session."""

    run_id: str  # the session's run id (report["session"]["run_id"])
    drill_id: str  # the scenario
    title: str
    runbook_id: str | None
    severity: str | None  # "P1".."P4"
    outcome: str  # "passed" | "failed" | "error" | "skipped"
    started_at: datetime  # timezone-aware UTC
    duration: float | None  # seconds
    time_to_detect: float | None
    time_to_acknowledge: float | None
    time_to_mitigate: float | None
    time_to_resolve: float | None
    failure: str | None  # one line: the phase and message (already masked in reports)
    report: str | None  # the JSON report it came from, as recorded


@dataclass(frozen=True)
class TimelineEntry:
    """One moment of an incident: when, what kind ("detected", "step", ...), what happened."""

    at: datetime
    kind: str  # e.g. "detected", "acknowledged", "step", "mitigated"
    message: str


@dataclass(frozen=True)
class IncidentRecord:
    """An incident: opened by a drill (source "drill") or by `drillbook run` (source "run")."""

    incident_id: str
    title: str
    severity: str | None
    status: str  # as recorded ("resolved", "in_progress", "failed", ...)
    source: str  # "drill" | "run"
    runbook_id: str | None
    opened_at: datetime
    closed_at: datetime | None
    timeline: tuple[TimelineEntry, ...]
    report: str | None
    related_postmortems: tuple[str, ...]  # "path:line" of linked post-mortems, may be empty

    @property
    def is_open(self) -> bool:
        """Still going on: not resolved, aborted or a dry run, and no closing time."""
        return self.status not in CLOSED_STATUSES and self.closed_at is None
