"""Expectations: exit codes, statuses, output text, and JSON checks through JMESPath."""

from __future__ import annotations

import json
import re
from fractions import Fraction
from typing import Any

import pytest
from drillbook.formats.common import Expect, JsonCheck
from drillbook.steps.expectations import check, default_mismatches
from drillbook.steps.outcome import Mismatch
from hypothesis import given
from hypothesis import strategies as st


def run(
    expect: dict[str, Any],
    *,
    exit_code: int | None = 0,
    status_code: int | None = None,
    stdout: str = "",
    stderr: str = "",
) -> list[Mismatch]:
    return check(
        Expect.model_validate(expect),
        exit_code=exit_code,
        status_code=status_code,
        stdout=stdout,
        stderr=stderr,
    )


def json_run(check_fields: dict[str, Any], document: Any) -> list[Mismatch]:
    return run({"json": [check_fields]}, stdout=json.dumps(document))


# -- exit codes, statuses, text ---------------------------------------------------------------


def test_exit_code() -> None:
    assert run({"exitCode": 2}, exit_code=2) == []
    assert run({"exitCode": 0}, exit_code=1) == [Mismatch("exit code", "0", "1")]


def test_exit_code_of_an_http_request_is_none() -> None:
    [mismatch] = run({"exitCode": 0}, exit_code=None, status_code=200)
    assert mismatch.actual.startswith("none")


@pytest.mark.parametrize(
    ("status", "actual", "ok"),
    [
        (200, 200, True),
        (200, 503, False),
        ([200, 503], 503, True),
        ([200, 204], 404, False),
    ],
)
def test_status(status: int | list[int], actual: int, ok: bool) -> None:
    assert (run({"status": status}, exit_code=None, status_code=actual) == []) is ok


def test_status_on_a_shell_command_says_there_is_none() -> None:
    [mismatch] = run({"status": 200}, exit_code=0, status_code=None)
    assert mismatch.expected == "200"
    assert "no HTTP status" in mismatch.actual


def test_stdout_contains_and_matches_multiline() -> None:
    out = "starting\nstatus: ok\ndone\n"
    assert (
        run({"stdoutContains": "status: ok", "stdoutMatches": r"^status: \w+$"}, stdout=out) == []
    )
    mismatches = run({"stdoutContains": "healthy", "stdoutMatches": r"^ok$"}, stdout=out)
    assert [m.what for m in mismatches] == ["stdout contains", "stdout matches"]
    assert mismatches[0].expected == '"healthy"'
    assert mismatches[0].actual == json.dumps(out, ensure_ascii=False)


def test_body_aliases_are_stdout() -> None:
    assert run({"bodyContains": "pong"}, stdout="pong") == []
    assert len(run({"bodyMatches": "^pang"}, stdout="pong")) == 1


def test_stderr_checks() -> None:
    assert run({"stderrContains": "warn", "stderrMatches": "w.rn"}, stderr="a warning") == []
    assert [m.what for m in run({"stderrContains": "fatal"}, stderr="")] == ["stderr contains"]
    assert run({"stderrContains": "fatal"}, stderr="")[0].actual == '"" (empty)'


def test_an_invalid_regex_is_a_mismatch_not_a_crash() -> None:
    [mismatch] = run({"stdoutMatches": "(unclosed"}, stdout="x")
    assert "not a valid regular expression" in mismatch.actual


def test_long_actual_output_is_quoted_short() -> None:
    [mismatch] = run({"stdoutContains": "needle"}, stdout="x" * 10_000)
    assert len(mismatch.actual) < 260


def test_default_expectations() -> None:
    assert default_mismatches(exit_code=0, status_code=None) == []
    assert default_mismatches(exit_code=7, status_code=None) == [Mismatch("exit code", "0", "7")]
    assert default_mismatches(exit_code=None, status_code=302) == []
    assert default_mismatches(exit_code=None, status_code=404) == [
        Mismatch("HTTP status", "2xx or 3xx", "404")
    ]


# -- JSON ---------------------------------------------------------------------------------------

DOC = {
    "checks": {"database": {"status": "healthy", "latency": 12.5}},
    "code": 200,
    "tags": ["a", "b"],
    "flag": True,
    "name": "payments-api",
}


def test_json_equality_is_numeric_and_json_typed() -> None:
    assert json_run({"path": "code", "equals": 200.0}, DOC) == []
    assert json_run({"path": "checks.database.status", "equals": "healthy"}, DOC) == []
    assert json_run({"path": "flag", "equals": 1}, DOC) != []  # true is not 1
    assert json_run({"path": "code", "equals": "200"}, DOC) != []  # "200" is not 200


def test_json_mismatch_reads_well() -> None:
    [mismatch] = json_run({"path": "checks.database.status", "equals": "down"}, DOC)
    assert mismatch == Mismatch("json checks.database.status", '"down"', '"healthy"')
    assert str(mismatch) == 'json checks.database.status: expected "down", got "healthy"'


def test_json_orderings() -> None:
    assert json_run({"path": "checks.database.latency", "lt": 100, "ge": 12.5}, DOC) == []
    [mismatch] = json_run({"path": "code", "gt": 500}, DOC)
    assert (mismatch.expected, mismatch.actual) == ("a number > 500.0", "200")


def test_ordering_on_a_non_number_says_what_it_got() -> None:
    [mismatch] = json_run({"path": "name", "gt": 1}, DOC)
    assert mismatch.expected == "a number > 1.0"
    assert mismatch.actual == '"payments-api"'
    assert json_run({"path": "flag", "ge": 0}, DOC) != []  # a boolean is not a number


def test_json_contains_matches_exists_not_equals() -> None:
    assert json_run({"path": "tags", "contains": "b"}, DOC) == []
    assert json_run({"path": "name", "contains": "pay"}, DOC) == []
    assert json_run({"path": "checks", "contains": "database"}, DOC) == []
    assert json_run({"path": "tags", "contains": "z"}, DOC) != []
    assert json_run({"path": "name", "matches": "^pay.*api$"}, DOC) == []
    assert json_run({"path": "code", "matches": "200"}, DOC) != []  # only strings match
    assert json_run({"path": "checks.cache", "exists": False}, DOC) == []
    assert json_run({"path": "checks.cache", "exists": True}, DOC)[0].expected == "present"
    assert json_run({"path": "code", "notEquals": 500}, DOC) == []
    assert json_run({"path": "code", "notEquals": 200}, DOC) != []


def test_every_operator_of_one_check_is_applied() -> None:
    mismatches = json_run({"path": "code", "ge": 100, "lt": 150, "notEquals": 200}, DOC)
    assert [m.expected for m in mismatches] == ["anything but 200", "a number < 150.0"]


def test_output_that_is_not_json_is_quoted() -> None:
    text = "<html>" + "x" * 500
    [mismatch] = run({"json": [{"path": "a", "exists": True}]}, stdout=text)
    assert mismatch.what == "output as JSON"
    assert mismatch.actual == json.dumps(text[:200] + "…", ensure_ascii=False)


def test_invalid_jmespath_is_a_mismatch() -> None:
    [mismatch] = json_run({"path": "a[?", "exists": True}, DOC)
    assert mismatch.expected == "a valid JMESPath expression"


# -- against a reference implementation ----------------------------------------------------------

# Values JSON tells apart and Python's == does not (true and 1, 0 and false), drawn often.
tricky = st.sampled_from([0, 1, 0.0, 1.0, -0.0, True, False, "1", "true", "", None])
scalars = (
    tricky
    | st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.text(max_size=5)
    | (st.floats(allow_nan=False, allow_infinity=False, width=64))
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4)
    ),
    max_leaves=12,
)
numbers = st.integers(-1000, 1000) | st.floats(-1000, 1000, allow_nan=False)


def canonical(value: Any) -> Any:
    """A form in which Python's == is JSON equality: numbers exact, booleans apart."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", Fraction(value))
    if isinstance(value, list):
        return ("array", tuple(canonical(item) for item in value))
    if isinstance(value, dict):
        return ("object", frozenset((key, canonical(item)) for key, item in value.items()))
    return (type(value).__name__, value)


def number(value: Any) -> Fraction | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return Fraction(value)


def reference(operator: str, actual: Any, expected: Any) -> bool:
    if operator == "equals":
        return bool(canonical(actual) == canonical(expected))
    if operator == "notEquals":
        return bool(canonical(actual) != canonical(expected))
    if operator in ("gt", "ge", "lt", "le"):
        left, right = number(actual), number(expected)
        if left is None or right is None:
            return False
        return {"gt": left > right, "ge": left >= right, "lt": left < right, "le": left <= right}[
            operator
        ]
    if operator == "contains":
        if isinstance(actual, str):
            return isinstance(expected, str) and expected in actual
        if isinstance(actual, list):
            return canonical(expected) in [canonical(item) for item in actual]
        if isinstance(actual, dict):
            return isinstance(expected, str) and expected in actual
        return False
    if operator == "matches":
        return isinstance(actual, str) and re.search(expected, actual, re.M) is not None
    if operator == "exists":
        return (actual is not None) is bool(expected)
    raise AssertionError(operator)


def holds(operator: str, actual: Any, expected: Any) -> bool:
    JsonCheck.model_validate({"path": "v", operator: expected})  # a valid check
    return json_run({"path": "v", operator: expected}, {"v": actual}) == []


@given(
    actual=json_values,
    expected=json_values.filter(lambda v: v is not None),
    operator=st.sampled_from(["equals", "notEquals", "contains"]),
)
def test_equality_and_containment_agree_with_reference(
    operator: str, actual: Any, expected: Any
) -> None:
    assert holds(operator, actual, expected) == reference(operator, actual, expected)


@given(
    actual=json_values | numbers,
    expected=numbers,
    operator=st.sampled_from(["gt", "ge", "lt", "le"]),
)
def test_orderings_agree_with_reference(operator: str, actual: Any, expected: Any) -> None:
    assert holds(operator, actual, float(expected)) == reference(operator, actual, float(expected))


@given(
    actual=json_values | st.text(alphabet="ab\n", max_size=6),
    pattern=st.sampled_from(["a", "^b", "a$", "ab+", "^$", "[ab]{2}"]),
)
def test_matches_agrees_with_reference(actual: Any, pattern: str) -> None:
    assert holds("matches", actual, pattern) == reference("matches", actual, pattern)


@given(actual=json_values, expected=st.booleans())
def test_exists_agrees_with_reference(actual: Any, expected: bool) -> None:
    assert holds("exists", actual, expected) == reference("exists", actual, expected)


@given(document=json_values.filter(lambda v: v is not None))
def test_equals_itself_after_a_json_round_trip(document: Any) -> None:
    assert (
        json_run({"path": "v", "equals": json.loads(json.dumps(document))}, {"v": document}) == []
    )
