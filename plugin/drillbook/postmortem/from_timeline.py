"""The facts of a real incident from the timeline ``drillbook run`` wrote while it was worked.

The timeline knows the runbook (identifier, title, severity), who ran it and when, and what
every step, rollback and check did. How the incident was detected, what it affected and why
it happened are not in it: those stay prompts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from drillbook.postmortem.data import instant, mapping, records, text
from drillbook.postmortem.describe import action_line, check_line
from drillbook.postmortem.facts import Person, PostmortemFacts, TimelineRow

OPERATOR_ROLE = "runbook operator"


def timeline_facts(timeline: dict[str, Any], source: str) -> PostmortemFacts:
    """The post-mortem facts of one ``drillbook run``; ``source`` says where it was read."""
    runbook = mapping(timeline, "runbook")
    operator = text(timeline, "operator")
    started = instant(timeline, "started_at")
    status = text(timeline, "status") or "unknown"
    return PostmortemFacts(
        kind="incident",
        source=source,
        incident_id=_identifier(text(runbook, "id"), started),
        title=text(runbook, "title"),
        severity=text(runbook, "severity"),
        outcome=f"runbook run {status.replace('_', ' ')}",
        started_at=started,
        ended_at=instant(timeline, "ended_at"),
        duration_basis="the runbook run with drillbook run, not the whole incident",
        runbook=text(runbook, "id"),
        responders=[Person(operator, OPERATOR_ROLE)] if operator else [],
        timeline=_rows(timeline, operator, status),
        steps_taken=_steps_taken(timeline),
    )


def _identifier(runbook_id: str | None, started: datetime | None) -> str | None:
    """``<runbook-id>-<UTC start>``, the name ``drillbook run`` gives its timeline file."""
    if runbook_id is None or started is None:
        return None
    return f"{runbook_id}-{started.strftime('%Y%m%dT%H%M%SZ')}"


def _step_label(step: dict[str, Any]) -> str:
    return f"step {step.get('order', '?')}: {text(step, 'description') or '(no description)'}"


def _step_line(step: dict[str, Any]) -> str | None:
    """What became of one step, or None when the run never reached it."""
    decision, reason = text(step, "decision"), text(step, "reason")
    why = f" ({reason})" if reason else ""
    result = mapping(step, "result")
    if decision == "run" and result:
        line = action_line(result)
        if step.get("interrupted") is True:
            line += " (interrupted)"
        return line
    if decision == "skip":
        return f"{_step_label(step)} — skipped{why}"
    if decision == "abort":
        return f"{_step_label(step)} — the run was aborted here{why}"
    return None


def _steps_taken(timeline: dict[str, Any]) -> list[str]:
    lines = [line for step in records(timeline, "steps") if (line := _step_line(step))]
    for rollback in records(timeline, "rollbacks"):
        reason = text(rollback, "reason")
        line = action_line(mapping(rollback, "result"))
        lines.append(f"{line} ({reason})" if reason else line)
    lines += [check_line(check) for check in records(timeline, "verification")]
    return lines


def _rows(timeline: dict[str, Any], operator: str | None, status: str) -> list[TimelineRow]:
    runbook_id = text(mapping(timeline, "runbook"), "id") or "?"
    rows = []
    started, ended = instant(timeline, "started_at"), instant(timeline, "ended_at")
    if started:
        rows.append(TimelineRow(started, f"Runbook {runbook_id} started", operator))
    for step in records(timeline, "steps"):
        line = _step_line(step)
        at = instant(mapping(step, "result"), "started_at") or instant(step, "decided_at")
        if line and at:
            rows.append(TimelineRow(at, line, operator))
    for entry in records(timeline, "rollbacks"):
        result = mapping(entry, "result")
        if at := instant(result, "started_at"):
            rows.append(TimelineRow(at, action_line(result), operator))
    for check in records(timeline, "verification"):
        if at := instant(check, "started_at"):
            rows.append(TimelineRow(at, check_line(check), operator))
    if ended:
        rows.append(TimelineRow(ended, f"Runbook run ended: {status.replace('_', ' ')}", operator))
    return sorted(rows, key=lambda row: row.at)
