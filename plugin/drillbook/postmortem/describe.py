"""One line of plain text for each thing a record holds: a step as it ran, a figure."""

from __future__ import annotations

from typing import Any

from drillbook.postmortem.data import number, text
from drillbook.report.formatting import seconds

_BAD = ("failed", "timed_out", "error")
_OUTCOME_WORDS = {
    "passed": "passed",
    "failed": "FAILED",
    "timed_out": "TIMED OUT",
    "error": "ERROR",
    "skipped": "skipped",
    "manual": "carried out by hand",
    "dry_run": "not run (dry run)",
}


def action_line(action: dict[str, Any], *, prefix: str = "") -> str:
    """A step, rollback or check as it ran, e.g. ``step 2: Fail over — passed in 0.02 s``."""
    label = text(action, "label") or "(unnamed action)"
    outcome = text(action, "outcome") or "unknown"
    line = f"{prefix}{label} — {_OUTCOME_WORDS.get(outcome, outcome)}"
    took = number(action, "duration")
    if took is not None and outcome not in ("skipped", "manual", "dry_run"):
        line += f" in {seconds(took)}"
    message = text(action, "message")
    if outcome in _BAD and message:
        line += f": {message}"
    return line


def check_line(action: dict[str, Any]) -> str:
    """A verification check as it ran, labelled as a check (once: run labels say 'check 1:')."""
    label = text(action, "label") or ""
    return action_line(action, prefix="" if label.lower().startswith("check") else "check: ")


def figure_line(name: str, value: float | None, basis: str) -> str | None:
    """``Time to mitigate: 4.52 s (fault injected to mitigation verified)``, or None."""
    if value is None:
        return None
    return f"{name}: {seconds(value)} ({basis})"
