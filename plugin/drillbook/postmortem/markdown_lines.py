"""Just enough Markdown structure for checking a post-mortem: which lines are inside code
fences, which are headings, and the cells of a table row (with their columns)."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

_FENCE = re.compile(r"^ {0,3}(?P<marks>`{3,}|~{3,})")
_CLOSE = re.compile(r"^ {0,3}(?P<marks>`{3,}|~{3,})\s*$")
_HEADING = re.compile(r"^ {0,3}(?P<level>#{1,6})\s+(?P<title>.*?)\s*#*\s*$")
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


@dataclass(frozen=True)
class Heading:
    """A heading: its 1-based line, level (1 for ``#``) and title text."""

    line: int
    level: int
    title: str

    @property
    def marker(self) -> str:
        """The heading as written in the template, e.g. ``## Timeline``."""
        return f"{'#' * self.level} {self.title}"


@dataclass(frozen=True)
class Cell:
    """One table cell: its text (stripped) and the 1-based column where its text starts."""

    text: str
    column: int


def fenced_lines(lines: list[str]) -> set[int]:
    """The 0-based indexes of lines inside (or opening/closing) fenced code blocks."""
    inside: set[int] = set()
    opening: str | None = None
    for index, line in enumerate(lines):
        if opening is None:
            match = _FENCE.match(line)
            if match:
                opening = match.group("marks")
                inside.add(index)
            continue
        inside.add(index)
        close = _CLOSE.match(line)
        marks = close.group("marks") if close else ""
        if marks[:1] == opening[:1] and len(marks) >= len(opening):
            opening = None
    return inside


def headings(lines: list[str], fenced: set[int]) -> list[Heading]:
    """The ATX headings outside code fences."""
    found = []
    for index, line in enumerate(lines):
        match = _HEADING.match(line)
        if match and index not in fenced:
            found.append(Heading(index + 1, len(match.group("level")), match.group("title")))
    return found


def is_table_row(line: str) -> bool:
    return line.lstrip().startswith("|")


def table_cells(line: str) -> list[Cell]:
    """The cells of a ``| a | b |`` row, split at unescaped pipes."""
    bounds = [match.start() for match in _UNESCAPED_PIPE.finditer(line)]
    cells = []
    for start, end in itertools.pairwise(bounds):
        raw = line[start + 1 : end]
        stripped = raw.strip()
        offset = len(raw) - len(raw.lstrip())
        cells.append(Cell(stripped, start + 2 + offset))
    trailing = line[bounds[-1] + 1 :] if bounds else ""
    if trailing.strip():  # a row may leave out its closing pipe
        cells.append(
            Cell(trailing.strip(), bounds[-1] + 2 + len(trailing) - len(trailing.lstrip()))
        )
    return cells


def is_separator(line: str) -> bool:
    """A table's ``|---|:---:|`` line."""
    cells = table_cells(line)
    return bool(cells) and all(re.fullmatch(r":?-{1,}:?", cell.text) for cell in cells)
