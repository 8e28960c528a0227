"""What lint reports: a finding is one problem at one ``file:line:col``, with its fix."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Severity(StrEnum):
    """How much a finding matters: only errors make ``drillbook lint`` fail."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, order=True)
class Finding:
    """One problem: where it is, which rule found it, and a message that says what to change.

    Findings sort by path, line and column (then rule), the order people read a file in.
    """

    path: Path
    line: int
    column: int
    rule: str
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.severity}[{self.rule}] {self.message}"
