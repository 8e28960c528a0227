"""``drillbook postmortem check``: what a post-mortem still lacks.

It finds prompts left unfilled, prompts cleared without anything written in their place,
sections missing or empty, and action items without an owner or a due date. Code fences are
skipped: a pasted log may hold anything.
"""

from __future__ import annotations

import re

from drillbook.postmortem.action_table import check_action_items
from drillbook.postmortem.finding import Finding
from drillbook.postmortem.markdown_lines import (
    Heading,
    fenced_lines,
    headings,
    is_table_row,
    table_cells,
)
from drillbook.postmortem.prompts import COMMENT, MARKER, find_prompts, without_comments
from drillbook.postmortem.sections import ACTION_ITEMS, HEADINGS, TITLE_PREFIX

_ANY_COMMENT = re.compile(r"<!--.*?-->")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# list bullets, bold labels, the "$" of Revenue Impact: what is left when a prompt is cleared
_SCAFFOLDING = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+|\*\*[^*]*\*\*:?|\$")


def check_postmortem(text: str) -> list[Finding]:
    """Everything still to do in the post-mortem ``text``, in line order."""
    lines = _LINE_BREAK.split(text)  # not splitlines(): Markdown does not break at \x85
    fenced = fenced_lines(lines)
    found = headings(lines, fenced)
    findings = _prompts(lines, fenced, found) + _structure(lines, found)
    findings += _action_items(lines, found)
    return sorted(set(findings))


def _section_of(line: int, found: list[Heading]) -> str:
    above = [heading for heading in found if heading.line < line]
    return f"'{above[-1].title}'" if above else "the title"


def _prompts(lines: list[str], fenced: set[int], found: list[Heading]) -> list[Finding]:
    findings = []
    for index, line in enumerate(lines):
        if index in fenced:
            continue
        where = _section_of(index + 1, found)
        for prompt in find_prompts(line):
            key = f" [{prompt.key}]" if prompt.key else ""
            message = f"prompt left unfilled in {where}: {prompt.text}{key}"
            findings.append(Finding(index + 1, prompt.column, message))
        findings += [
            Finding(
                index + 1,
                column,
                f"prompt [{key}] in {where} was cleared but nothing was written in its place",
            )
            for column, key in _cleared(line)
        ]
    return findings


def _cleared(line: str) -> list[tuple[int, str]]:
    """Prompt comments left alone in a list item or table cell: (column, key) of each.

    A comment on a line of its own is left to the empty-section check: the text may follow
    on the next lines.
    """
    if is_table_row(line):
        parts = [(cell.text, cell.column - 1) for cell in table_cells(line)]
    elif COMMENT.fullmatch(line.strip()):
        return []
    else:
        parts = [(line, 0)]
    cleared = []
    for part, offset in parts:
        comments = list(COMMENT.finditer(part))
        rest = _SCAFFOLDING.sub("", without_comments(part)).strip()
        if comments and not rest and not MARKER.search(part):
            cleared.append((offset + comments[0].start() + 1, comments[0].group("key")))
    return cleared


def _structure(lines: list[str], found: list[Heading]) -> list[Finding]:
    """The title and every section present, and none of them empty."""
    findings = []
    titles = [h for h in found if h.level == 1 and h.marker.startswith(TITLE_PREFIX)]
    if not titles:
        findings.append(Finding(1, 1, f"the title '{TITLE_PREFIX} INCIDENT-ID' is missing"))
    elif not titles[0].marker.removeprefix(TITLE_PREFIX).strip():
        findings.append(Finding(titles[0].line, 1, "the title names no incident: add its id"))
    present = {_normal(h.marker): h for h in found}
    previous = 1
    for wanted in HEADINGS:
        heading = present.get(_normal(wanted))
        if heading is None:
            findings.append(
                Finding(
                    previous,
                    1,
                    f"section '{wanted}' is missing: add it back "
                    "(docs/postmortem-template.md has them all)",
                )
            )
        else:
            previous = heading.line
    findings += _empty_sections(lines, found)
    return findings


def _empty_sections(lines: list[str], found: list[Heading]) -> list[Finding]:
    findings = []
    for position, heading in enumerate(found):
        following = found[position + 1] if position + 1 < len(found) else None
        end = following.line - 1 if following else len(lines)
        body = lines[heading.line : end]
        if any(_ANY_COMMENT.sub("", line).strip() for line in body):
            continue
        if following is not None and following.level > heading.level:
            continue  # a section made of subsections
        findings.append(
            Finding(
                heading.line, 1, f"section '{heading.title}' is empty: write something, even 'None'"
            )
        )
    return findings


def _action_items(lines: list[str], found: list[Heading]) -> list[Finding]:
    for position, heading in enumerate(found):
        if _normal(heading.marker) == _normal(ACTION_ITEMS):
            following = found[position + 1] if position + 1 < len(found) else None
            return check_action_items(
                lines, heading, following.line - 1 if following else len(lines)
            )
    return []  # its absence is reported with the other missing sections


def _normal(marker: str) -> str:
    return " ".join(marker.split()).lower()
