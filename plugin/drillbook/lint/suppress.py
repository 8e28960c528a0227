"""Inline suppression: ``# drillbook: ignore[rule-id]`` or ``# drillbook: ignore[rule-a,rule-b]``
on a finding's line, or on the line before it, drops that finding. The comment may also
stand inside a command block, where it is a shell comment."""

from __future__ import annotations

import re
from collections.abc import Sequence

from drillbook.lint.finding import Finding

_DIRECTIVE = re.compile(r"#\s*drillbook:\s*ignore\[([^\]]*)\]")


def directives(lines: Sequence[str]) -> dict[int, set[str]]:
    """1-based line number -> the rule ids a directive on that line ignores."""
    found: dict[int, set[str]] = {}
    for number, text in enumerate(lines, start=1):
        for match in _DIRECTIVE.finditer(text):
            rules = {rule.strip() for rule in match.group(1).split(",") if rule.strip()}
            found.setdefault(number, set()).update(rules)
    return found


def unsuppressed(findings: Sequence[Finding], lines: Sequence[str]) -> list[Finding]:
    """``findings`` without those a directive on their line or the line before ignores."""
    ignored = directives(lines)
    if not ignored:
        return list(findings)
    return [
        finding
        for finding in findings
        if finding.rule not in ignored.get(finding.line, set())
        and finding.rule not in ignored.get(finding.line - 1, set())
    ]
