"""``missing-verification``, ``missing-contacts``, ``missing-escalation``: what every runbook
needs besides its steps, so the responder can tell it worked and knows whom to call."""

from __future__ import annotations

from collections.abc import Iterator

from drillbook.formats.yaml_source import PathKey
from drillbook.lint.document import LintDocument
from drillbook.lint.finding import Finding, Severity
from drillbook.lint.rules.base import LintOptions

_ADVICE = {
    "verification": (
        "missing-verification",
        "add `verification:` checks that prove the incident is over, e.g. "
        "`- {description: API healthy, command: curl -f $APP_URL/health, "
        "expect: {exitCode: 0}}`",
    ),
    "contacts": (
        "missing-contacts",
        "add `contacts:` with the people or teams to reach (`role`, `name`, and a `phone`, "
        "`slack` or `email`)",
    ),
    "escalation": (
        "missing-escalation",
        "add `escalation:` naming the policy or team to page when this runbook does not "
        "resolve the incident",
    ),
}


def check(document: LintDocument, options: LintOptions) -> Iterator[Finding]:
    runbook = document.runbook
    if runbook is None:
        return
    present = {
        "verification": bool(runbook.verification),
        "contacts": bool(runbook.contacts),
        "escalation": bool(runbook.escalation and runbook.escalation.strip()),
    }
    for name, ok in present.items():
        if ok:
            continue
        rule, advice = _ADVICE[name]
        key: PathKey = (name,) if document.has((name,)) else ("id",)
        what = f"`{name}` is empty" if document.has((name,)) else f"the runbook has no `{name}`"
        yield document.finding(key, rule, Severity.WARNING, f"{what}; {advice}", at_key=True)
