"""``not-machine-checkable``: an expectation written as prose that drillbook cannot turn
into a check, and no ``expect:`` block beside it. For a verification check that means the
drill checks only the exit code (warning); for a step it is a note (info)."""

from __future__ import annotations

from collections.abc import Iterator

from drillbook.formats.common import Action
from drillbook.formats.prose import parse_prose_expectation
from drillbook.formats.yaml_source import PathKey
from drillbook.lint.document import LintDocument
from drillbook.lint.finding import Finding, Severity
from drillbook.lint.rules.base import LintOptions

RULE = "not-machine-checkable"

_EXAMPLE = (
    '`expect: {stdoutContains: "..."}`, `expect: {status: 200}` or '
    "`expect: {json: [{path: status, equals: healthy}]}`"
)


def check(document: LintDocument, options: LintOptions) -> Iterator[Finding]:
    if document.runbook is not None:
        for index, step in enumerate(document.runbook.steps):
            key = document.key(("steps", index), "expected_outcome")
            yield from _prose(
                document, key, step, step.expected_outcome, f"step {step.order}", Severity.INFO
            )
        for index, check in enumerate(document.runbook.verification):
            key = document.key(("verification", index), "expected")
            yield from _prose(
                document,
                key,
                check,
                check.expected,
                f"verification check {index + 1}",
                Severity.WARNING,
            )
    if document.drill is not None:
        drill = document.drill
        groups: list[tuple[PathKey, list[Action]]] = [
            (("steady_state",), list(drill.steady_state)),
            (("verify", "checks"), list(drill.verify.checks)),
            (("recover",), list(drill.recover)),
        ]
        for base, checks in groups:
            for index, action in enumerate(checks):
                prose = getattr(action, "expected", None)
                label = f"{base[-1]} check {index + 1}"
                yield from _prose(
                    document, (*base, index, "expected"), action, prose, label, Severity.WARNING
                )


def _prose(
    document: LintDocument,
    key: PathKey,
    action: Action,
    prose: str | None,
    label: str,
    severity: Severity,
) -> Iterator[Finding]:
    if not prose or not action.runnable:
        return
    if action.expect is not None and not action.expect.is_empty():
        return
    if parse_prose_expectation(prose) is not None:
        return
    consequence = "" if severity is Severity.INFO else ", so only its exit code is checked"
    quoted = " ".join(prose.split())
    quoted = quoted if len(quoted) <= 80 else quoted[:77] + "..."
    yield document.finding(
        key,
        RULE,
        severity,
        f'{label} expects "{quoted}", which drillbook cannot check{consequence}; add an '
        f"`expect:` block, e.g. {_EXAMPLE}",
    )
