"""The errors drillbook reports to people: each names the file, the line and the fix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class DrillbookError(Exception):
    """An error meant for the user: its message is complete and needs no traceback."""


@dataclass(frozen=True)
class SourcePosition:
    """A 1-based line and column in a file."""

    path: Path
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


class LoadError(DrillbookError):
    """A file that cannot be read as a runbook, drill or other drillbook format."""

    def __init__(self, path: Path | str, line: int, column: int, message: str) -> None:
        self.position = SourcePosition(Path(path), line, column)
        self.message = message
        super().__init__(f"{self.position}: {message}")

    @property
    def path(self) -> Path:
        return self.position.path

    @property
    def line(self) -> int:
        return self.position.line

    @property
    def column(self) -> int:
        return self.position.column


class LoadErrors(DrillbookError):
    """Several problems found in one file, reported together."""

    def __init__(self, errors: list[LoadError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))
