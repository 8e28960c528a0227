"""Passages of Markdown documents: post-mortems (one per paragraph, list item or table row)
and drill reports (one per section of each drill)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from drillbook.kb.markdown_blocks import (
    CELL_SPLIT,
    TABLE_RULE,
    Block,
    blocks,
    plain,
    strip_comments,
)
from drillbook.kb.model import Passage

# "## 2. ✘ FAILED · db-outage-drill — The database goes away" (the Markdown report's drills)
_DRILL_HEADING = re.compile(r"^\d+\.\s+(?P<badge>.*?)\s+·\s+(?P<drill>\S+)\s+—\s+(?P<title>.*)$")
_REPORT_HEADING = re.compile(r"^(#{1,3})\s+(.*?)\s*$")
_OUTCOMES = ("passed", "failed", "error", "skipped")


def postmortem_passages(text: str, path: str) -> Iterator[Passage]:
    """Every paragraph, list item, table row and code block of a post-mortem."""
    found = list(blocks(text))
    title = _document_title(found, path)
    for block in found:
        if block.kind == "heading":
            continue
        section = " / ".join(h.title for h in block.headings[1:] or block.headings)
        yield Passage("postmortem", path, block.line, title, block.text, section)


def report_passages(text: str, path: str) -> Iterator[Passage]:
    """One passage per section (``###``) of each drill (``## N. ...``) in a Markdown drill
    report, read line by line: reports are large and many, so no block structure is built."""
    section = _Section(path)
    for number, line in enumerate(strip_comments(text).splitlines(), start=1):
        heading = _REPORT_HEADING.match(line) if line.startswith("#") else None
        if heading is not None:
            yield from section.flush()
            section.start(number, len(heading.group(1)), plain(heading.group(2)))
        elif line.strip() and not TABLE_RULE.match(line):
            section.lines.append(line)
    yield from section.flush()


class _Section:
    """The report section being gathered: its drill, name, first line and lines."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.drill: re.Match[str] | None = None
        self.name = ""
        self.line = 0
        self.lines: list[str] = []

    def start(self, line: int, level: int, title: str) -> None:
        if level <= 2:
            self.drill = _DRILL_HEADING.match(title) if level == 2 else None
        self.name = "Overview" if level <= 2 else title
        self.line = line
        self.lines = []

    def flush(self) -> Iterator[Passage]:
        if self.drill is None or not self.lines:
            return
        body = [plain(CELL_SPLIT.sub(" ", line.lstrip("#"))) for line in self.lines]
        text = "\n".join([f"{self.drill.group('drill')}: {self.name}", *filter(None, body)])
        title = self.drill.group("title")
        status = _outcome(self.drill.group("badge"))
        yield Passage("report", self.path, self.line, title, text, self.name, status)
        self.lines = []


def _outcome(badge: str) -> str:
    words = badge.lower()
    return next((outcome for outcome in _OUTCOMES if outcome in words), "")


def _document_title(found: list[Block], path: str) -> str:
    """The first heading's text (the top-level one when there is one), else the file name."""
    headings = [block for block in found if block.kind == "heading"]
    top = [block for block in headings if block.headings[-1].level == 1]
    chosen = (top or headings)[:1]
    heading = chosen[0].text if chosen else path.rsplit("/", 1)[-1]
    named = _summary_title(found)
    return f"{heading} — {named}" if named and named not in heading else heading


# the template's "- **Title**: Booking API lost its database connections" summary line
_SUMMARY_TITLE = re.compile(r"^\W*Title\W*:\s*(?P<title>\S.*?)\s*$")


def _summary_title(found: list[Block]) -> str:
    """The short title a post-mortem's Incident Summary gives, when it gives one: what the
    incident was, more telling than the "Incident Post-Mortem: INC-..." heading alone."""
    for block in found:
        if block.kind != "heading":
            match = _SUMMARY_TITLE.match(block.text)
            if match and "to fill" not in match.group("title"):
                return match.group("title")
    return ""
