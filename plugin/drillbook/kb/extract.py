"""Documents cut into passages: the one entry point that picks the reader for each kind."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from drillbook.kb.model import Passage


@dataclass(frozen=True)
class Problem:
    """A file that could not be read into passages: ``path:line: reason``."""

    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


def passages_of(source: object, root: Path) -> tuple[list[Passage], list[Problem]]:
    """The passages of one source file, and what went wrong reading it (then no passages)."""
    return [], []
