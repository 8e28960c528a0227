"""One linted file: its raw lines, its data with positions, and its model when it validated.

Rules read a :class:`LintDocument` and make findings through it, so every finding carries a
position from the file's SourceMap, refined to the exact word inside multi-line values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from drillbook.formats.drill import Drill
from drillbook.formats.runbook import Runbook
from drillbook.formats.yaml_source import PathKey, SourceMap, load_yaml_file
from drillbook.lint.finding import Finding, Severity

Kind = Literal["runbook", "drill"]

# PyYAML's line breaks, so that line numbers agree with the loader's.
_LINE_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
_SEARCH_LINES = 400


def split_lines(text: str) -> list[str]:
    return _LINE_BREAK.split(text)


def read_data(path: Path) -> Any:
    """The plain data of a YAML file, or None when it cannot be read; never raises."""
    try:
        return load_yaml_file(path).data
    except Exception:  # any broken file is simply not there for a look-up
        return None


@dataclass
class LintDocument:
    """A runbook or drill file as lint sees it; ``runbook``/``drill`` is set when it validated."""

    path: Path
    kind: Kind
    lines: list[str]
    data: dict[str, Any]
    source: SourceMap
    runbook: Runbook | None = None
    drill: Drill | None = None

    # -- keys as written ------------------------------------------------------------------
    def key(self, base: PathKey, name: str) -> PathKey:
        """``base + (name,)`` spelled as the file spells it: camelCase or snake_case."""
        camel = _camel(name)
        for spelling in (camel, name):
            if (*base, spelling) in self.source.keys:
                return (*base, spelling)
        return (*base, camel)

    def has(self, key: PathKey) -> bool:
        return key in self.source.keys or key in self.source.values

    def value(self, key: PathKey) -> Any:
        """The raw data at ``key`` (None when it is not there)."""
        current: Any = self.data
        for part in key:
            found = (isinstance(current, dict) and part in current) or (
                isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
            )
            if not found:
                return None
            current = current[part]
        return current

    def raw_line(self, line: int) -> str:
        return self.lines[line - 1] if 0 < line <= len(self.lines) else ""

    # -- positions ------------------------------------------------------------------------
    def position(self, key: PathKey, *, at_key: bool = False) -> tuple[int, int]:
        return self.source.key_position(key) if at_key else self.source.value_position(key)

    def position_in_value(
        self, key: PathKey, line_index: int, column: int, token: str
    ) -> tuple[int, int]:
        """Where ``token``, found at ``line_index``/``column`` of the string at ``key``, is
        in the file. Literal blocks map line by line; other scalars are searched."""
        start_line, start_column = self.source.value_position(key)
        raw = self.raw_line(start_line)
        indicator = raw[start_column - 1 : start_column]
        if indicator == "|":
            line = start_line + 1 + line_index
            indent = _block_indent(self.lines, start_line)
            if self._starts_with(line, indent + column + 1, token):
                return (line, indent + column + 1)
        elif indicator not in ("", ">") and line_index == 0:
            offset = 1 if indicator in ("'", '"') else 0
            if self._starts_with(start_line, start_column + offset + column, token):
                return (start_line, start_column + offset + column)
        return self._search(start_line, start_column, token)

    def _starts_with(self, line: int, column: int, token: str) -> bool:
        return bool(token) and self.raw_line(line)[column - 1 :].startswith(token)

    def _search(self, line: int, column: int, token: str) -> tuple[int, int]:
        if token:
            first = line
            for number in range(first, min(first + _SEARCH_LINES, len(self.lines)) + 1):
                skip = column - 1 if number == first else 0
                found = self.raw_line(number).find(token, skip)
                if found >= 0:
                    return (number, found + 1)
        return (line, column)

    # -- findings -------------------------------------------------------------------------
    def finding(
        self, key: PathKey, rule: str, severity: Severity, message: str, *, at_key: bool = False
    ) -> Finding:
        line, column = self.position(key, at_key=at_key)
        return Finding(self.path, line, column, rule, severity, message)

    def finding_at(
        self, position: tuple[int, int], rule: str, severity: Severity, message: str
    ) -> Finding:
        return Finding(self.path, position[0], position[1], rule, severity, message)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _block_indent(lines: list[str], indicator_line: int) -> int:
    """The indentation of a block scalar's content: that of its first non-blank line."""
    for text in lines[indicator_line:]:
        if text.strip():
            return len(text) - len(text.lstrip(" "))
    return 0
