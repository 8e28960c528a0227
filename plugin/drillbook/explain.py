"""A failed drill explained like a good bug report: phase, step and its YAML line, the
command as run (masked), exit code, expected against actual, last output, active faults."""

from __future__ import annotations

from drillbook.drill.result import DrillResult
from drillbook.steps.outcome import ActionResult

OUTPUT_LINES = 15


def explain_failure(result: DrillResult) -> str:
    failure = result.failure
    if failure is None:
        return f"drill {result.drill_id} {result.outcome.value}"
    lines = [
        f"drill {result.drill_id} ({result.title}) {result.outcome.value} in phase {failure.phase}",
        f"  {failure.summary}",
    ]
    if failure.action is not None:
        lines.extend(explain_action(failure.action))
    if failure.faults_active:
        lines.append("  still injected at the time:")
        lines.extend(f"    - {fault}" for fault in failure.faults_active)
    return "\n".join(lines)


def explain_action(action: ActionResult) -> list[str]:
    lines = []
    if action.where:
        lines.append(f"  at {action.where} ({action.role}: {action.label})")
    lines.append(f"  {action.kind}: {action.shown}")
    lines.append(
        f"  outcome: {action.outcome.value}" + (f" ({action.message})" if action.message else "")
    )
    if action.exit_code is not None:
        lines.append(f"  exit code: {action.exit_code}")
    if action.status_code is not None:
        lines.append(f"  HTTP status: {action.status_code}")
    if action.attempts > 1:
        lines.append(f"  attempts: {action.attempts}")
    if action.mismatches:
        lines.append("  expected against actual:")
        lines.extend(
            f"    {m.what}: expected {m.expected}, got {m.actual}" for m in action.mismatches
        )
    lines.extend(_tail("stdout", action.stdout))
    lines.extend(_tail("stderr", action.stderr))
    return lines


def _tail(name: str, text: str) -> list[str]:
    kept = text.rstrip("\n").splitlines()[-OUTPUT_LINES:]
    if not kept:
        return []
    return [f"  last lines of {name}:", *(f"    | {line}" for line in kept)]
