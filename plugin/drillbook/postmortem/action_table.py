"""Checking the Action Items table: every action needs an owner and a due date (YYYY-MM-DD),
and its priority, when given, is P1, P2 or P3."""

from __future__ import annotations

import re
from datetime import date

from drillbook.postmortem.finding import Finding
from drillbook.postmortem.markdown_lines import (
    Cell,
    Heading,
    is_separator,
    is_table_row,
    table_cells,
)
from drillbook.postmortem.prompts import MARKER, without_comments
from drillbook.postmortem.sections import ACTION_COLUMNS, ACTION_ITEMS

PRIORITIES = ("P1", "P2", "P3")
# what people write when they do not know yet: as good as nothing
_PLACEHOLDERS = {"", "-", "--", "—", "?", "tbd", "tba", "todo", "n/a", "na", "none", "nobody"}
_BRACKETED = re.compile(r"\\?\[[^\]]*\\?\]")  # the seed's "[Person]", "[Date]"
_DECORATION = re.compile(r"[*_`~\\]")
_LABEL_CHARS = 60


def check_action_items(lines: list[str], heading: Heading, end: int) -> list[Finding]:
    """The findings for the table under ``heading`` (lines up to ``end``, 0-based, exclusive)."""
    start = heading.line  # 0-based index of the line after the heading
    rows = [i for i in range(start, end) if is_table_row(lines[i])]
    if not rows:
        shape = f"| {' | '.join(ACTION_COLUMNS)} |"
        return [Finding(heading.line, 1, f"'{ACTION_ITEMS}' has no table: add one like {shape}")]
    header, body = rows[0], rows[1:]
    columns = _columns(table_cells(lines[header]))
    missing = [name for name in ACTION_COLUMNS if name not in columns]
    if missing:
        named = ", ".join(f"'{name}'" for name in missing)
        return [Finding(header + 1, 1, f"the action items table has no {named} column")]
    if body and is_separator(lines[body[0]]):
        body = body[1:]
    findings = []
    for index in body:
        findings += _check_row(index + 1, table_cells(lines[index]), columns)
    return findings


def _columns(cells: list[Cell]) -> dict[str, int]:
    wanted = {name.lower(): name for name in ACTION_COLUMNS}
    found = {}
    for position, cell in enumerate(cells):
        name = wanted.get(_DECORATION.sub("", cell.text).strip().lower())
        if name:
            found[name] = position
    return found


def _value(cell: Cell | None) -> str | None:
    """The cell's text, or None when it holds nothing but a prompt or a placeholder."""
    if cell is None or MARKER.search(cell.text):
        return None
    text = without_comments(cell.text).strip()
    if text.lower() in _PLACEHOLDERS or _BRACKETED.fullmatch(text):
        return None
    return text


def _check_row(line: int, cells: list[Cell], columns: dict[str, int]) -> list[Finding]:
    picked = {name: cells[at] if at < len(cells) else None for name, at in columns.items()}
    if not any(_value(cell) or MARKER.search(cell.text) for cell in cells):
        return []  # an empty row
    action = _value(picked["Action"])
    label = f"'{_short(action)}'" if action else "on this line"

    def finding(name: str, problem: str) -> Finding:
        cell = picked[name]
        return Finding(line, cell.column if cell else 1, f"action item {label} {problem}")

    findings = []
    if _value(picked["Owner"]) is None:
        findings.append(finding("Owner", "has no owner: name the person who will do it"))
    due = _value(picked["Due Date"])
    if due is None:
        findings.append(finding("Due Date", "has no due date: add one as YYYY-MM-DD"))
    elif not _is_date(due):
        findings.append(finding("Due Date", f"has due date {due!r}: write it as YYYY-MM-DD"))
    priority = _value(picked["Priority"])
    if priority is not None and _DECORATION.sub("", priority).upper() not in PRIORITIES:
        findings.append(
            finding("Priority", f"has priority {priority!r}: use one of {', '.join(PRIORITIES)}")
        )
    return findings


def _is_date(text: str) -> bool:
    bare = _DECORATION.sub("", text).strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", bare):
        return False
    try:
        date.fromisoformat(bare)
    except ValueError:
        return False
    return True


def _short(text: str) -> str:
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"
