"""The incident timeline: what the responder decided and what each step, rollback and check
did, written as JSON after every change so a crash mid-incident still leaves it on disk."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from drillbook.errors import DrillbookError
from drillbook.report.atomic import write_text_atomic
from drillbook.steps.masking import Masker
from drillbook.steps.outcome import ActionResult, Outcome

FORMAT = "drillbook-incident-timeline/1"


class IncidentStatus(StrEnum):
    """How the run ended (``in_progress`` while it goes on)."""

    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    ABORTED = "aborted"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    DRY_RUN = "dry_run"

    @property
    def exit_code(self) -> int:
        if self is IncidentStatus.INTERRUPTED:
            return 130
        return 0 if self in (IncidentStatus.RESOLVED, IncidentStatus.DRY_RUN) else 1


@dataclass
class StepRecord:
    """One runbook step: what the responder decided, when, and what came of it."""

    order: int
    description: str
    line: int | None
    decision: str | None = None  # "run", "skip" or "abort"
    decided_at: datetime | None = None
    reason: str = ""
    result: ActionResult | None = None
    after_failure: str | None = None  # "rollback", "continue" or "abort"
    interrupted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "order": self.order,
            "description": self.description,
            "line": self.line,
            "decision": self.decision,
            "decided_at": _iso(self.decided_at),
            "reason": self.reason,
            "result": None if self.result is None else self.result.to_dict(),
            "after_failure": self.after_failure,
            "interrupted": self.interrupted,
        }


@dataclass
class RollbackRecord:
    """One rollback run: of which step, and why (the step failed, or the run was aborted)."""

    step: int
    reason: str
    result: ActionResult

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "reason": self.reason, "result": self.result.to_dict()}


@dataclass
class Timeline:
    """Everything one ``drillbook run`` did; ``save`` writes it (masked) to ``path``."""

    path: Path | None
    masker: Masker
    runbook: dict[str, Any]
    operator: str
    started_at: datetime
    dry_run: bool = False
    variables: dict[str, dict[str, str]] = field(default_factory=dict)
    steps: list[StepRecord] = field(default_factory=list)
    rollbacks: list[RollbackRecord] = field(default_factory=list)
    verification: list[ActionResult] = field(default_factory=list)
    status: IncidentStatus = IncidentStatus.IN_PROGRESS
    ended_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """The timeline as JSON-ready data, every string passed through the masker."""
        data = {
            "format": FORMAT,
            "runbook": self.runbook,
            "operator": self.operator,
            "dry_run": self.dry_run,
            "started_at": _iso(self.started_at),
            "ended_at": _iso(self.ended_at),
            "status": self.status.value,
            "vars": self.variables,
            "steps": [step.to_dict() for step in self.steps],
            "rollbacks": [rollback.to_dict() for rollback in self.rollbacks],
            "verification": [check.to_dict() for check in self.verification],
        }
        masked: dict[str, Any] = mask_tree(data, self.masker)
        return masked

    def summary(self) -> str:
        """One line for the end of the run: what was run, skipped, failed and rolled back."""
        if self.dry_run:
            return (
                f"dry run: {len(self.steps)} steps and {len(self.verification)} checks shown, "
                "nothing run"
            )
        decisions = [step.decision for step in self.steps]
        failed = [step for step in self.steps if step.result and not step.result.outcome.ok]
        held = [c for c in self.verification if c.outcome in (Outcome.PASSED, Outcome.MANUAL)]
        return (
            f"steps run: {decisions.count('run')}, skipped: {decisions.count('skip')}, "
            f"failed: {len(failed)}; rollbacks: {len(self.rollbacks)}; "
            f"checks passed: {len(held)}/{len(self.verification)}"
        )

    def save(self) -> None:
        """Write the timeline atomically; raises DrillbookError when it cannot be written."""
        if self.path is None:
            return
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"
        try:
            write_text_atomic(self.path, text)
        except OSError as error:
            reason = error.strerror or str(error)
            raise DrillbookError(f"cannot write the timeline {self.path}: {reason}") from None

    def save_or_warn(self) -> None:
        """Save, but only warn when that fails: a full disk must not stop the response."""
        try:
            self.save()
        except DrillbookError as error:
            print(f"drillbook: warning: {error}", file=sys.stderr, flush=True)


def mask_tree(value: Any, masker: Masker) -> Any:
    """``value`` with every string in it (keys too) masked."""
    if isinstance(value, str):
        return masker.mask(value)
    if isinstance(value, list):
        return [mask_tree(item, masker) for item in value]
    if isinstance(value, dict):
        return {mask_tree(key, masker): mask_tree(item, masker) for key, item in value.items()}
    return value


def default_timeline_path(runbook_id: str, started_at: datetime) -> Path:
    """``reports/incidents/<runbook-id>-<UTC timestamp>.json`` under the current directory."""
    stamp = started_at.strftime("%Y%m%dT%H%M%SZ")
    return Path("reports") / "incidents" / f"{runbook_id}-{stamp}.json"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
