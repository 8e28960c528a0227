"""Post-mortem action items still to do: the rows of each post-mortem's "Action Items" table.

The table is the post-mortem template's (``| Action | Owner | Due Date | Priority |``). An item
is done when the table has a ``Status`` column saying ``done`` or ``closed`` (also
``complete(d)``, ``resolved``, ``fixed``, ``won't do``), or when its action is struck
through (``~~Add the alert~~``). Rows holding only the template's prompts or placeholders
(``[Person]``, ``TBD``) are no items. A file that cannot be read is named in ``problems``;
it never stops the dashboard.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from drillbook.postmortem.markdown_lines import (
    Cell,
    Heading,
    fenced_lines,
    headings,
    is_separator,
    is_table_row,
    table_cells,
)
from drillbook.postmortem.prompts import MARKER, without_comments
from drillbook.postmortem.sections import TITLE_PREFIX

ACTION_ITEMS_TITLE = "action items"
DONE_WORDS = frozenset(
    {"done", "closed", "complete", "completed", "resolved", "fixed", "won't do", "wontfix"}
)
_COLUMNS = {"action": "action", "owner": "owner", "due date": "due", "due": "due"}
_COLUMNS |= {"priority": "priority", "status": "status"}
_PLACEHOLDERS = {"", "-", "--", "—", "?", "tbd", "tba", "todo", "n/a", "na", "none", "nobody"}
_BRACKETED = re.compile(r"\\?\[[^\]]*\\?\]")
_DECORATION = re.compile(r"[*_`\\]")
_STRUCK = re.compile(r"^~~(?P<text>.+)~~$", re.DOTALL)


@dataclass(frozen=True)
class ActionItem:
    """One row of a post-mortem's action items table."""

    action: str
    owner: str | None
    due: date | None
    due_text: str | None  # as written, when it is no YYYY-MM-DD date
    priority: str | None
    done: bool
    path: Path
    line: int  # 1-based
    postmortem: str  # the post-mortem's title

    def overdue(self, today: date) -> bool:
        """Still open and its due date has passed."""
        return not self.done and self.due is not None and self.due < today


@dataclass(frozen=True)
class ActionItems:
    """The items of all post-mortems read, and the files that could not be read."""

    items: tuple[ActionItem, ...] = ()
    problems: tuple[str, ...] = field(default=())
    files_read: int = 0

    def open_items(self, today: date) -> list[ActionItem]:
        """Items not done: overdue first (oldest due date first), then by due date (items
        without one last), then by priority."""
        return sorted(
            (item for item in self.items if not item.done), key=lambda i: _order(i, today)
        )


def _order(item: ActionItem, today: date) -> tuple[int, date, str, str]:
    due = item.due or date.max
    return (0 if item.overdue(today) else 1, due, item.priority or "P9", item.action.lower())


def read_action_items(paths: Iterable[Path]) -> ActionItems:
    """The action items of every post-mortem in ``paths``."""
    items: list[ActionItem] = []
    problems: list[str] = []
    count = 0
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{path}: cannot read this post-mortem ({exc}); its items are left out")
            continue
        count += 1
        items += parse_action_items(text, path)
    return ActionItems(tuple(items), tuple(problems), count)


def parse_action_items(text: str, path: Path) -> list[ActionItem]:
    """The items of the first "Action Items" table in the Markdown ``text``."""
    lines = text.splitlines()
    fenced = fenced_lines(lines)
    found = headings(lines, fenced)
    title = _title(found, path)
    for index, heading in enumerate(found):
        if heading.title.strip().lower() == ACTION_ITEMS_TITLE:
            end = next(
                (later.line - 1 for later in found[index + 1 :] if later.level <= heading.level),
                len(lines),
            )
            rows = [i for i in range(heading.line, end) if i not in fenced]
            return _table_items(lines, rows, path, title)
    return []


def _title(found: Sequence[Heading], path: Path) -> str:
    prefix = TITLE_PREFIX.removeprefix("# ")
    for heading in found:
        if heading.level == 1:
            return heading.title.removeprefix(prefix).strip() or heading.title
    return path.stem


def _table_items(
    lines: list[str], candidates: list[int], path: Path, title: str
) -> list[ActionItem]:
    rows = [index for index in candidates if is_table_row(lines[index])]
    if not rows:
        return []
    columns = _columns(table_cells(lines[rows[0]]))
    if "action" not in columns:
        return []
    body = [index for index in rows[1:] if not is_separator(lines[index])]
    items = []
    for index in body:
        item = _item(table_cells(lines[index]), columns, path, index + 1, title)
        if item is not None:
            items.append(item)
    return items


def _columns(cells: list[Cell]) -> dict[str, int]:
    found: dict[str, int] = {}
    for position, cell in enumerate(cells):
        name = _COLUMNS.get(_DECORATION.sub("", cell.text).strip().lower())
        if name and name not in found:
            found[name] = position
    return found


def _cell(cells: list[Cell], columns: dict[str, int], name: str) -> str | None:
    """The cell's text, or None when it holds nothing but a prompt or a placeholder."""
    at = columns.get(name)
    if at is None or at >= len(cells) or MARKER.search(cells[at].text):
        return None
    text = without_comments(cells[at].text).replace("\\|", "|").strip()
    if text.lower() in _PLACEHOLDERS or _BRACKETED.fullmatch(text):
        return None
    return text


def _item(
    cells: list[Cell], columns: dict[str, int], path: Path, line: int, title: str
) -> ActionItem | None:
    action = _cell(cells, columns, "action")
    if action is None:
        return None
    struck = _STRUCK.match(action)
    status = (_cell(cells, columns, "status") or "").strip("*_ ").lower()
    due_text = _cell(cells, columns, "due")
    due = _date(due_text)
    priority = _cell(cells, columns, "priority")
    return ActionItem(
        action=struck.group("text").strip() if struck else action,
        owner=_cell(cells, columns, "owner"),
        due=due,
        due_text=due_text if due is None else None,
        priority=_DECORATION.sub("", priority).upper() if priority else None,
        done=bool(struck) or status in DONE_WORDS,
        path=path,
        line=line,
        postmortem=title,
    )


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    bare = _DECORATION.sub("", text).strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", bare):
        return None
    try:
        return date.fromisoformat(bare)
    except ValueError:
        return None
