"""What running one step or check produced."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    ERROR = "error"
    SKIPPED = "skipped"
    MANUAL = "manual"
    DRY_RUN = "dry_run"

    @property
    def ok(self) -> bool:
        return self in (Outcome.PASSED, Outcome.SKIPPED, Outcome.MANUAL, Outcome.DRY_RUN)


@dataclass
class Mismatch:
    """One expectation that did not hold."""

    what: str
    expected: str
    actual: str

    def __str__(self) -> str:
        return f"{self.what}: expected {self.expected}, got {self.actual}"


@dataclass
class ActionResult:
    """The record of one step, check or rollback as it ran. Every text in it is masked."""

    label: str
    kind: str  # "command", "http" or "manual"
    shown: str  # the command as run, or "GET http://...", masked
    outcome: Outcome
    started_at: datetime
    ended_at: datetime
    file: str | None = None
    line: int | None = None
    exit_code: int | None = None
    status_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    mismatches: list[Mismatch] = field(default_factory=list)
    attempts: int = 1
    message: str = ""
    role: str = "step"  # "step", "check", "rollback"

    @property
    def duration(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()

    @property
    def where(self) -> str:
        if self.file and self.line:
            return f"{self.file}:{self.line}"
        return self.file or ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["outcome"] = self.outcome.value
        data["started_at"] = self.started_at.isoformat()
        data["ended_at"] = self.ended_at.isoformat()
        data["duration"] = round(self.duration, 6)
        return data
