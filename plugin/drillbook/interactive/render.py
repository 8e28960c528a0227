"""How ``drillbook run`` shows a runbook, a step and a result to the responder (plain text).

Every function returns unmasked text built from the runbook and masked results; callers pass
the text through the masker before it is shown.
"""

from __future__ import annotations

from collections.abc import Mapping

from drillbook.explain import explain_action
from drillbook.formats.common import Action, Check
from drillbook.formats.runbook import Contact, Runbook, Step
from drillbook.steps.outcome import ActionResult, Outcome

RULE = "-" * 72
PASSED_TAIL_LINES = 5


def header(runbook: Runbook, path: str) -> str:
    """The title block: what this runbook is for and whom to call."""
    lines = [
        "=" * 72,
        f"RUNBOOK {runbook.id}: {runbook.title}",
        f"severity: {runbook.severity}    file: {path}",
    ]
    if runbook.scenario:
        lines.append(f"scenario: {runbook.scenario}")
    if runbook.owner:
        lines.append(f"owner: {runbook.owner}")
    lines.extend(_contacts(runbook.contacts))
    if runbook.escalation:
        lines.append("escalation:")
        lines.extend(f"  {line}" for line in runbook.escalation.strip().splitlines())
    lines.append(f"{len(runbook.steps)} steps, {len(runbook.verification)} verification checks")
    lines.append("=" * 72)
    return "\n".join(lines)


def vars_block(variables: Mapping[str, Mapping[str, str]], missing: list[str]) -> str:
    """The vars the commands will see (secrets already masked) and those still unset."""
    lines = ["vars:" if variables else "vars: none"]
    lines.extend(
        f"  {name} = {info['value']}  ({info['source']})" for name, info in variables.items()
    )
    lines.extend(f"  {name}: NOT SET (dry run: not asked)" for name in missing)
    return "\n".join(lines)


def _contacts(contacts: list[Contact]) -> list[str]:
    if not contacts:
        return ["contacts: none listed in the runbook"]
    lines = ["contacts:"]
    for contact in contacts:
        reach = [
            f"{label} {value}"
            for label, value in (
                ("phone", contact.phone),
                ("slack", contact.slack),
                ("email", contact.email),
                ("priority", contact.priority),
            )
            if value
        ]
        lines.append(
            f"  {contact.role}: {contact.name}" + (f" ({', '.join(reach)})" if reach else "")
        )
    return lines


def step_block(step: Step, position: int, total: int, shown: str, where: str) -> str:
    """A step as it will run: number, description, command or request, expectations."""
    flags = [
        flag
        for flag, on in (
            ("read-only", step.read_only),
            ("CHANGES PRODUCTION", step.changes_production),
        )
        if on
    ]
    title = f"STEP {step.order}: {step.description}  ({position} of {total})"
    lines = [RULE, title + (f"  [{', '.join(flags)}]" if flags else ""), f"  at {where}"]
    lines.extend(_action_lines(step, shown))
    if step.expected_outcome:
        lines.append(f"  expected: {step.expected_outcome}")
    if step.notes:
        lines.append("  notes:")
        lines.extend(f"    {line}" for line in step.notes.strip().splitlines())
    rollback = step.rollback_action()
    if rollback is not None:
        lines.append("  rollback: " + (_first_line(rollback) or "by hand"))
    return "\n".join(lines)


def check_block(check: Check, index: int, total: int, shown: str) -> str:
    """A verification check before it runs."""
    lines = [RULE, f"CHECK {index}/{total}: {check.description}"]
    lines.extend(_action_lines(check, shown))
    if check.expected:
        lines.append(f"  expected: {check.expected}")
    return "\n".join(lines)


def _action_lines(action: Action, shown: str) -> list[str]:
    if not action.runnable:
        return ["  manual: carry this out by hand" + (f"\n    | {shown}" if shown else "")]
    if action.http is not None:
        return [f"  request: {shown}"]
    return ["  command:", *(f"    | {line}" for line in shown.rstrip("\n").splitlines())]


def _first_line(action: Action) -> str:
    if action.http is not None:
        return f"{action.http.method} {action.http.url}"
    text = (action.command or "").strip().splitlines()
    return text[0] + (" ..." if len(text) > 1 else "") if text else ""


def result_block(result: ActionResult) -> str:
    """What an action did: a short line when it passed, the full explanation otherwise."""
    if not result.outcome.ok:
        return "\n".join([f"  -> {result.outcome.value.upper()}", *explain_action(result)])
    lines = [f"  -> {_ok_summary(result)}"]
    if result.outcome is Outcome.PASSED:
        tail = result.stdout.rstrip("\n").splitlines()[-PASSED_TAIL_LINES:]
        lines.extend(f"    | {line}" for line in tail)
    return "\n".join(lines)


def _ok_summary(result: ActionResult) -> str:
    parts = [result.outcome.value, f"in {result.duration:.1f} s"]
    if result.exit_code is not None:
        parts.append(f"exit code {result.exit_code}")
    if result.status_code is not None:
        parts.append(f"HTTP {result.status_code}")
    if result.attempts > 1:
        parts.append(f"{result.attempts} attempts")
    if result.outcome is Outcome.MANUAL and result.message:
        parts.append(result.message)
    return ", ".join(parts)
