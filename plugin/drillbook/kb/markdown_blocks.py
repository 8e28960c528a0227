"""Markdown cut into blocks people read as one thought: paragraphs, list items, table rows,
code blocks, each with its 1-based start line and the headings it stands under.

HTML comments (such as a post-mortem draft's ``<!-- prompt: ... -->`` markers) are dropped, the
lines they spanned kept, so every line number still points into the file as written.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass

_COMMENT = re.compile(r"<!--.*?(-->|\Z)", re.DOTALL)
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,9}[.)])\s+")
TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
CELL_SPLIT = re.compile(r"(?<!\\)\|")
_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)]*)\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`+)")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")
_MARKUP = re.compile(r"[<\[*_`\\]")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(\s[^<>]*)?/?>")


@dataclass(frozen=True)
class Heading:
    line: int
    level: int
    title: str


@dataclass(frozen=True)
class Block:
    """A paragraph, list item, table row or code block: its start line, text and headings."""

    line: int
    text: str
    headings: tuple[Heading, ...]
    kind: str  # "paragraph" | "item" | "row" | "code" | "heading"


def strip_comments(text: str) -> str:
    """``text`` without HTML comments; each comment's line breaks are kept."""
    return _COMMENT.sub(lambda match: "\n" * match.group(0).count("\n"), text)


def plain(text: str) -> str:
    """Inline Markdown as plain words: no emphasis marks, escapes, links or ``<br>``."""
    if not _MARKUP.search(text):
        return " ".join(text.split())
    text = _TAG.sub(" ", _BREAK.sub(" ", text))
    text = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})" if m.group(2) else m.group(1), text)
    text = _EMPHASIS.sub("", text)
    text = _ESCAPE.sub(r"\1", text)
    return " ".join(text.split())


def blocks(text: str) -> Iterator[Block]:
    """The blocks of a Markdown document, in order (headings included as blocks of their own)."""
    lines = strip_comments(text).splitlines()
    reader = _Reader(lines)
    yield from reader.read()


class _Reader:
    """One pass over the lines, keeping the heading stack and the block being gathered."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.stack: list[Heading] = []
        self.header: list[str] = []

    def read(self) -> Iterator[Block]:
        index = 0
        while index < len(self.lines):
            line = self.lines[index]
            if not line.strip():
                index += 1
                continue
            if _FENCE.match(line):
                index = yield from self._code(index)
            elif heading := _HEADING.match(line):
                yield self._heading(index, len(heading.group(1)), heading.group(2))
                index += 1
            elif line.lstrip().startswith("|"):
                index = yield from self._table(index)
            else:
                index = yield from self._paragraph(index)

    def _heading(self, index: int, level: int, title: str) -> Block:
        heading = Heading(index + 1, level, plain(title))
        self.stack = [h for h in self.stack if h.level < level] + [heading]
        return Block(index + 1, heading.title, tuple(self.stack), "heading")

    def _code(self, start: int) -> Generator[Block, None, int]:
        marks = _FENCE.match(self.lines[start])
        opening = marks.group(1) if marks else "```"
        index = start + 1
        while index < len(self.lines) and not self.lines[index].strip().startswith(opening):
            index += 1
        body = "\n".join(self.lines[start + 1 : index]).strip()
        if body:
            yield Block(start + 1, body, tuple(self.stack), "code")
        return index + 1

    def _table(self, start: int) -> Generator[Block, None, int]:
        index = start
        header: list[str] = []
        while index < len(self.lines) and self.lines[index].lstrip().startswith("|"):
            line = self.lines[index]
            cells = _cells(line)
            if TABLE_RULE.match(line):
                header = self._previous_cells(index, start)
            elif index != start or not self._next_is_rule(index):
                text = _row_text(cells, header)
                if text:
                    yield Block(index + 1, text, tuple(self.stack), "row")
            index += 1
        return index

    def _previous_cells(self, index: int, start: int) -> list[str]:
        return _cells(self.lines[index - 1]) if index > start else []

    def _next_is_rule(self, index: int) -> bool:
        return index + 1 < len(self.lines) and bool(TABLE_RULE.match(self.lines[index + 1]))

    def _paragraph(self, start: int) -> Generator[Block, None, int]:
        index = start
        gathered: list[str] = []
        first = start
        kind = "item" if _LIST_ITEM.match(self.lines[start]) else "paragraph"
        while index < len(self.lines) and self._continues(index, start):
            line = self.lines[index]
            if index != start and _LIST_ITEM.match(line):
                yield from self._emit(first, gathered, kind)
                gathered, first, kind = [], index, "item"
            gathered.append(_LIST_ITEM.sub("", line, count=1))
            index += 1
        yield from self._emit(first, gathered, kind)
        return index

    def _continues(self, index: int, start: int) -> bool:
        line = self.lines[index]
        if not line.strip():
            return False
        if index == start:
            return True
        return not (_HEADING.match(line) or _FENCE.match(line) or line.lstrip().startswith("|"))

    def _emit(self, first: int, gathered: list[str], kind: str) -> Iterator[Block]:
        text = plain(" ".join(gathered))
        if text:
            yield Block(first + 1, text, tuple(self.stack), kind)


def _cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [plain(cell) for cell in CELL_SPLIT.split(inner)]


def _row_text(cells: list[str], header: list[str]) -> str:
    """A table row as ``Header: value; Header: value`` (or the cells alone without a header)."""
    parts = []
    for position, cell in enumerate(cells):
        if not cell:
            continue
        name = header[position] if position < len(header) else ""
        parts.append(f"{name}: {cell}" if name else cell)
    return "; ".join(parts)
