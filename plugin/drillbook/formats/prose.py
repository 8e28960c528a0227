"""The seed writes expectations as prose; the common forms become real checks.

``checks.database.status = "healthy"`` is a JMESPath equality, ``HTTP 200 response`` is an
HTTP status, ``exit code 0`` is an exit code. Anything else stays prose, and lint says it
is not machine-checkable.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

from drillbook.formats.common import Expect, JsonCheck

_STATUS = re.compile(
    r"^\s*(?:HTTP\s*(?:status\s*)?)?(\d{3})(?:\s+(?:response|OK|status))?\s*$", re.I
)
_STATUS_WORDS = re.compile(r"^\s*(?:HTTP\s+)?status(?:\s+code)?\s*(?:=|==|is)?\s*(\d{3})\s*$", re.I)
_EXIT = re.compile(r"^\s*exit\s*(?:code|status)\s*(?:=|==|is)?\s*(\d+)\s*$", re.I)
_COMPARISON = re.compile(
    r"^\s*(?P<path>[A-Za-z_@][\w.\[\]@*-]*)\s*(?P<op>==|=|!=|>=|<=|>|<)\s*(?P<value>.+?)\s*$"
)
_OPERATORS = {
    "=": "equals",
    "==": "equals",
    "!=": "not_equals",
    ">": "gt",
    ">=": "ge",
    "<": "lt",
    "<=": "le",
}


def parse_prose_expectation(text: str | None) -> Expect | None:
    """The machine-checkable meaning of a prose expectation, or None when it has none."""
    if not text or "\n" in text.strip():
        return None
    for pattern in (_STATUS, _STATUS_WORDS):
        match = pattern.match(text)
        if match:
            return Expect(status=int(match.group(1)))
    match = _EXIT.match(text)
    if match:
        return Expect(exit_code=int(match.group(1)))
    return _parse_comparison(text)


def _parse_comparison(text: str) -> Expect | None:
    match = _COMPARISON.match(text)
    if not match:
        return None
    path, operator, raw = match.group("path"), match.group("op"), match.group("value")
    try:
        jmespath.compile(path)
    except JMESPathError:
        return None
    value = _literal(raw)
    if value is _NOT_A_LITERAL or value is None:
        return None  # a JsonCheck cannot compare with null: None means "no comparison".
    name = _OPERATORS[operator]
    if name in ("gt", "ge", "lt", "le") and not isinstance(value, int | float):
        return None
    return Expect.model_validate(
        {"json": [JsonCheck.model_validate({"path": path, _camel(name): value})]}
    )


_NOT_A_LITERAL = object()


def _literal(raw: str) -> Any:
    """A JSON literal (``"healthy"``, ``200``, ``true``, ``null``) or a bare word."""
    try:
        return json.loads(raw)
    except ValueError:
        pass
    if re.fullmatch(r"'[^']*'", raw):
        return raw[1:-1]
    if re.fullmatch(r"[A-Za-z_][\w-]*", raw):
        return raw
    return _NOT_A_LITERAL


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def effective_expect(explicit: Expect | None, prose: str | None) -> Expect | None:
    """The explicit ``expect`` block wins; otherwise what the prose says, if anything."""
    if explicit is not None and not explicit.is_empty():
        return explicit
    return parse_prose_expectation(prose)
