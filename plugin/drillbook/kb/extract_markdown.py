"""Passages of Markdown documents: post-mortems (one per paragraph, list item or table row)
and drill reports (one per section of each drill)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from drillbook.kb.markdown_blocks import Block, blocks
from drillbook.kb.model import Passage

# "## 2. ✘ FAILED · db-outage-drill — The database goes away" (the Markdown report's drills)
_DRILL_HEADING = re.compile(r"^\d+\.\s+(?P<badge>.*?)\s+·\s+(?P<drill>\S+)\s+—\s+(?P<title>.*)$")
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
    """One passage per section of each drill in a Markdown drill report."""
    drill: re.Match[str] | None = None
    section: Block | None = None
    gathered: list[str] = []
    for block in blocks(text):
        if block.kind == "heading" and block.headings[-1].level <= 3:
            yield from _report_section(path, drill, section, gathered)
            section, gathered = block, []
            if block.headings[-1].level <= 2:
                drill = _DRILL_HEADING.match(block.text)
        else:
            gathered.append(block.text)
    yield from _report_section(path, drill, section, gathered)


def _report_section(
    path: str, drill: re.Match[str] | None, section: Block | None, gathered: list[str]
) -> Iterator[Passage]:
    if drill is None or section is None or not gathered:
        return
    heading = section.headings[-1]
    name = "Overview" if heading.level <= 2 else heading.title
    text = "\n".join([f"{drill.group('drill')}: {name}", *gathered])
    status = _outcome(drill.group("badge"))
    yield Passage("report", path, section.line, drill.group("title"), text, name, status)


def _outcome(badge: str) -> str:
    words = badge.lower()
    return next((outcome for outcome in _OUTCOMES if outcome in words), "")


def _document_title(found: list[Block], path: str) -> str:
    """The first heading's text (the top-level one when there is one), else the file name."""
    headings = [block for block in found if block.kind == "heading"]
    top = [block for block in headings if block.headings[-1].level == 1]
    chosen = (top or headings)[:1]
    return chosen[0].text if chosen else path.rsplit("/", 1)[-1]
