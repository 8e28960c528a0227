"""A runbook's passages: its title and scenario, each step, each verification check, its
contacts and escalation, each at the line its YAML starts on."""

from __future__ import annotations

from collections.abc import Iterator

from drillbook.formats.common import Action
from drillbook.formats.loader import Loaded
from drillbook.formats.runbook import Runbook, Step
from drillbook.kb.model import Passage


def runbook_passages(loaded: Loaded[Runbook], path: str) -> Iterator[Passage]:
    """Every passage of a loaded runbook (``path`` is how the index names the file)."""
    runbook = loaded.model
    title = runbook.title

    def passage(line: int, section: str, *parts: str | None) -> Passage:
        text = "\n".join(part.strip() for part in parts if part and part.strip())
        return Passage("runbook", path, line, title, text, section)

    yield passage(loaded.line("title"), "Runbook", f"{runbook.id}: {title}", runbook.scenario)
    for index, step in enumerate(runbook.steps):
        yield passage(loaded.line("steps", index), _step_section(step), *_step_parts(step))
    for index, check in enumerate(runbook.verification):
        section = f"Verification: {check.description}"
        yield passage(
            loaded.line("verification", index),
            section,
            check.description,
            *_action_parts(check),
            check.expected,
        )
    if runbook.contacts:
        people = [f"{c.role}: {c.name}" for c in runbook.contacts]
        yield passage(loaded.line("contacts"), "Contacts", *people)
    if runbook.escalation:
        yield passage(loaded.line("escalation"), "Escalation", runbook.escalation)


def _step_section(step: Step) -> str:
    return f"Step {step.order}: {step.description}"


def _step_parts(step: Step) -> list[str | None]:
    rollback = step.rollback_procedure
    rollback_text = rollback if isinstance(rollback, str) else None
    if rollback is not None and not isinstance(rollback, str):
        rollback_text = " ".join(filter(None, [rollback.description, *_action_parts(rollback)]))
    return [
        step.description,
        *_action_parts(step),
        step.expected_outcome,
        f"Rollback: {rollback_text}" if rollback_text else None,
        step.notes,
    ]


def _action_parts(action: Action) -> list[str | None]:
    """The runnable part of a step or check as text: its command or HTTP request."""
    request = action.http
    http = f"{request.method} {request.url}" if request is not None else None
    return [action.command, http]
