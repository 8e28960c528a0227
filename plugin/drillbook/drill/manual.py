"""``respond: manual``: a person carries out the runbook's steps and drillbook times them.

Each selected step is shown (description, the command as it would run, the expected
outcome) and the responder answers done, skip or abort. The time from showing the step to
the answer is the step's duration in the report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from drillbook.drill.clock import Clock
from drillbook.formats.runbook import Step
from drillbook.interactive.prompter import Prompter
from drillbook.steps.masking import Masker
from drillbook.steps.outcome import ActionResult, Outcome


def run_manually(
    steps: Sequence[Step],
    *,
    prompter: Prompter,
    clock: Clock,
    masker: Masker,
    file: str,
    lines: Mapping[int, int],
    select: Callable[[Step], bool],
    performer: str = "the responder",
) -> tuple[list[ActionResult], ActionResult | None]:
    """Results for every step, and the step the responder aborted at (or None)."""
    results: list[ActionResult] = []
    for step in steps:
        started = clock.now()
        label = f"step {step.order}: {step.description}"
        if not select(step):
            results.append(
                _result(
                    step,
                    label,
                    Outcome.SKIPPED,
                    started,
                    started,
                    file,
                    lines,
                    masker,
                    "not selected for this drill",
                )
            )
            continue
        prompter.show(describe_step(step, masker))
        answer = prompter.choose(
            f"step {step.order} done", ("done", "skip", "abort"), on_end="abort"
        )
        ended = clock.now()
        outcome = {"done": Outcome.PASSED, "skip": Outcome.SKIPPED}.get(answer, Outcome.FAILED)
        message = {"done": f"done by {performer}", "skip": f"skipped by {performer}"}.get(
            answer, f"{performer} aborted the drill here"
        )
        result = _result(step, label, outcome, started, ended, file, lines, masker, message)
        results.append(result)
        if answer == "abort":
            return results, result
    return results, None


def describe_step(step: Step, masker: Masker) -> str:
    lines = [f"\nstep {step.order}: {step.description}"]
    if step.command:
        lines.append(f"  command: {step.command.strip()}")
    if step.http:
        lines.append(f"  http: {step.http.method} {step.http.url}")
    if step.expected_outcome:
        lines.append(f"  expected: {step.expected_outcome}")
    if step.notes:
        lines.append(f"  notes: {step.notes}")
    return masker.mask("\n".join(lines))


def _result(
    step: Step,
    label: str,
    outcome: Outcome,
    started: datetime,
    ended: datetime,
    file: str,
    lines: Mapping[int, int],
    masker: Masker,
    message: str,
) -> ActionResult:
    shown = (
        step.command.strip()
        if step.command
        else (f"{step.http.method} {step.http.url}" if step.http else "(by hand)")
    )
    return ActionResult(
        label=label,
        kind="manual",
        shown=masker.mask(shown),
        outcome=outcome,
        started_at=started,
        ended_at=ended,
        file=file,
        line=lines.get(step.order),
        message=message,
        role="step",
    )
