"""The record of one drill run, which reports, JUnit properties and history are made from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from drillbook.steps.outcome import ActionResult

PHASES = ("steady_state", "inject", "detect", "respond", "verify", "recover")


class DrillOutcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"


@dataclass
class PhaseResult:
    name: str
    outcome: DrillOutcome
    started_at: datetime
    ended_at: datetime
    actions: list[ActionResult] = field(default_factory=list)
    message: str = ""

    @property
    def duration(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "outcome": self.outcome.value,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat(),
            "duration": round(self.duration, 6),
            "message": self.message,
            "actions": [action.to_dict() for action in self.actions],
        }


@dataclass
class TimelineEvent:
    at: datetime
    kind: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "kind": self.kind, "message": self.message}


@dataclass
class Failure:
    """Why a drill failed, in the words of a good bug report."""

    phase: str
    summary: str
    action: ActionResult | None = None
    faults_active: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "phase": self.phase,
            "summary": self.summary,
            "action": self.action.to_dict() if self.action else None,
            "faults_active": list(self.faults_active),
        }


@dataclass
class DrillResult:
    drill_id: str
    title: str
    runbook_id: str
    severity: str
    drill_file: str
    runbook_file: str
    outcome: DrillOutcome
    started_at: datetime
    ended_at: datetime
    tags: list[str] = field(default_factory=list)
    phases: list[PhaseResult] = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)
    metrics: dict[str, float | None] = field(default_factory=dict)
    failure: Failure | None = None
    services: list[dict[str, str]] = field(default_factory=list)
    providers: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    incident: dict[str, Any] | None = None
    detection: dict[str, Any] | None = None
    traffic: dict[str, Any] | None = None

    @property
    def duration(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        return {
            "drill_id": self.drill_id,
            "title": self.title,
            "runbook_id": self.runbook_id,
            "severity": self.severity,
            "tags": list(self.tags),
            "drill_file": self.drill_file,
            "runbook_file": self.runbook_file,
            "outcome": self.outcome.value,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat(),
            "duration": round(self.duration, 6),
            "metrics": dict(self.metrics),
            "phases": [phase.to_dict() for phase in self.phases],
            "timeline": [event.to_dict() for event in self.timeline],
            "failure": self.failure.to_dict() if self.failure else None,
            "services": list(self.services),
            "providers": list(self.providers),
            "timings": dict(self.timings),
            "incident": self.incident,
            "detection": self.detection,
            "traffic": self.traffic,
        }
