"""What a rule is: a function from one document (or the whole linted tree) to findings."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from drillbook.lint.document import LintDocument
from drillbook.lint.finding import Finding


@dataclass(frozen=True)
class LintOptions:
    """Switches for one lint run."""

    check_path_commands: bool = True


FileRule = Callable[[LintDocument, LintOptions], Iterable[Finding]]
"""Checks one runbook or drill."""

TreeRule = Callable[[Sequence[LintDocument], LintOptions], Iterable[Finding]]
"""Checks across every linted file (unique ids, references between files)."""


def also_at(lines: Sequence[int]) -> str:
    """`` (also at lines 33, 41)`` for the other places a finding stands for, or nothing."""
    others = sorted(set(lines))
    if not others:
        return ""
    word = "line" if len(others) == 1 else "lines"
    return f" (also at {word} {', '.join(str(line) for line in others)})"
