"""Whether what an action produced is what its ``expect`` block asks for.

Pure functions: given the exit code, HTTP status and output, the list of what did not hold.
An empty list means every expectation held.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

from drillbook.formats.common import Expect, JsonCheck
from drillbook.steps.outcome import Mismatch

QUOTE_LIMIT = 200
"""How many characters of an actual value a mismatch quotes."""


def check(
    expect: Expect,
    *,
    exit_code: int | None,
    status_code: int | None,
    stdout: str,
    stderr: str,
) -> list[Mismatch]:
    """Every expectation of ``expect`` that the results do not meet."""
    mismatches: list[Mismatch] = []
    if expect.exit_code is not None:
        mismatches += _exit_code(expect.exit_code, exit_code)
    if expect.status is not None:
        mismatches += _status(expect.status, status_code)
    mismatches += _text("stdout", stdout, expect.stdout_contains, expect.stdout_matches)
    mismatches += _text("stderr", stderr, expect.stderr_contains, expect.stderr_matches)
    if expect.json_checks:
        mismatches += check_json(expect.json_checks, stdout)
    return mismatches


def default_mismatches(*, exit_code: int | None, status_code: int | None) -> list[Mismatch]:
    """With no expectation at all: a command must exit 0, a response must be 2xx or 3xx."""
    if status_code is not None:
        if 200 <= status_code < 400:
            return []
        return [Mismatch("HTTP status", "2xx or 3xx", str(status_code))]
    if exit_code == 0:
        return []
    return [Mismatch("exit code", "0", _or_none(exit_code, "none"))]


def _exit_code(expected: int, actual: int | None) -> list[Mismatch]:
    if actual == expected:
        return []
    return [Mismatch("exit code", str(expected), _or_none(actual, "none (not a shell command)"))]


def _status(expected: int | list[int], actual: int | None) -> list[Mismatch]:
    allowed = expected if isinstance(expected, list) else [expected]
    if actual in allowed:
        return []
    wanted = " or ".join(str(code) for code in allowed)
    got = _or_none(actual, "no HTTP status (a shell command has none; use http: to send a request)")
    return [Mismatch("HTTP status", wanted, got)]


def _text(stream: str, text: str, contains: str | None, pattern: str | None) -> list[Mismatch]:
    mismatches = []
    if contains is not None and contains not in text:
        mismatches.append(Mismatch(f"{stream} contains", _encode(contains), _quote(text)))
    if pattern is not None:
        found = _search(pattern, text)
        if isinstance(found, str):
            mismatches.append(Mismatch(f"{stream} matches", f"/{pattern}/", found))
        elif not found:
            mismatches.append(Mismatch(f"{stream} matches", f"/{pattern}/", _quote(text)))
    return mismatches


def _search(pattern: str, text: str) -> bool | str:
    """Whether ``pattern`` occurs in ``text``; a string explaining why when it is not a regex."""
    try:
        return re.search(pattern, text, re.MULTILINE) is not None
    except re.error as error:
        return f"not a valid regular expression ({error})"


def check_json(checks: list[JsonCheck], stdout: str) -> list[Mismatch]:
    """Parse ``stdout`` as JSON once, then apply each check to the value at its path."""
    try:
        document = json.loads(stdout)
    except ValueError:
        return [Mismatch("output as JSON", "a JSON document", _quote(stdout))]
    mismatches: list[Mismatch] = []
    for json_check in checks:
        mismatches += _check_path(json_check, document)
    return mismatches


def _check_path(json_check: JsonCheck, document: Any) -> list[Mismatch]:
    what = f"json {json_check.path}"
    try:
        value = jmespath.search(json_check.path, document)
    except JMESPathError as error:
        return [Mismatch(what, "a valid JMESPath expression", _short(str(error)))]
    mismatches = []
    for operator, expected in _operators(json_check):
        problem = compare(operator, value, expected)
        if problem is not None:
            mismatches.append(Mismatch(what, problem, _encode(value)))
    return mismatches


def _operators(json_check: JsonCheck) -> list[tuple[str, Any]]:
    names = ("equals", "not_equals", "gt", "ge", "lt", "le", "contains", "matches", "exists")
    return [
        (name, getattr(json_check, name)) for name in names if getattr(json_check, name) is not None
    ]


_ORDER = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}


def compare(operator: str, actual: Any, expected: Any) -> str | None:
    """None when ``actual`` satisfies ``operator expected``, else what was expected, in words."""
    if operator == "equals":
        return None if json_equal(actual, expected) else _encode(expected)
    if operator == "not_equals":
        return None if not json_equal(actual, expected) else f"anything but {_encode(expected)}"
    if operator in _ORDER:
        return _compare_numbers(operator, actual, expected)
    if operator == "contains":
        return None if json_contains(actual, expected) else f"containing {_encode(expected)}"
    if operator == "matches":
        return _compare_pattern(actual, str(expected))
    if operator == "exists":
        present = actual is not None
        return None if present == bool(expected) else ("present" if expected else "absent")
    raise ValueError(f"unknown JSON comparison {operator!r}")


def _compare_numbers(operator: str, actual: Any, expected: Any) -> str | None:
    wanted = f"a number {_ORDER[operator]} {_encode(expected)}"
    if not is_number(actual) or not is_number(expected):
        return wanted
    holds = {
        "gt": actual > expected,
        "ge": actual >= expected,
        "lt": actual < expected,
        "le": actual <= expected,
    }[operator]
    return None if holds else wanted


def _compare_pattern(actual: Any, pattern: str) -> str | None:
    wanted = f"a string matching /{pattern}/"
    if not isinstance(actual, str):
        return wanted
    found = _search(pattern, actual)
    if isinstance(found, str):
        return f"{wanted}, but that is {found}"
    return None if found else wanted


def is_number(value: Any) -> bool:
    """JSON numbers: ints and floats, and never booleans."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def json_equal(left: Any, right: Any) -> bool:
    """Equality as JSON means it: ``200 == 200.0``, but ``true != 1`` and ``"1" != 1``."""
    if is_number(left) and is_number(right):
        return bool(left == right)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(json_equal, left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(json_equal(left[k], right[k]) for k in left)
    return type(left) is type(right) and bool(left == right)


def json_contains(container: Any, item: Any) -> bool:
    """A substring of a string, an element of an array, or a key of an object."""
    if isinstance(container, str):
        return isinstance(item, str) and item in container
    if isinstance(container, list):
        return any(json_equal(element, item) for element in container)
    if isinstance(container, dict):
        return isinstance(item, str) and item in container
    return False


def _encode(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        text = repr(value)
    return _short(text)


def _quote(text: str) -> str:
    if not text:
        return '"" (empty)'
    quoted = text[:QUOTE_LIMIT] + ("…" if len(text) > QUOTE_LIMIT else "")
    return json.dumps(quoted, ensure_ascii=False)


def _short(text: str) -> str:
    return text if len(text) <= QUOTE_LIMIT else text[:QUOTE_LIMIT] + "…"


def _or_none(value: int | None, none: str) -> str:
    return none if value is None else str(value)
