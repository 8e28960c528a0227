"""Prose expectations: the seed's machine-checkable forms become checks, the rest stays prose."""

from __future__ import annotations

import pytest
from drillbook.formats.common import Expect, JsonCheck
from drillbook.formats.prose import effective_expect, parse_prose_expectation
from hypothesis import given, settings
from hypothesis import strategies as st


def json_check(**fields: object) -> Expect:
    return Expect.model_validate({"json": [fields]})


@pytest.mark.parametrize(
    ("prose", "expected"),
    [
        (
            'checks.database.status = "healthy"',
            json_check(path="checks.database.status", equals="healthy"),
        ),
        (
            "checks.database.status == 'healthy'",
            json_check(path="checks.database.status", equals="healthy"),
        ),
        (
            "checks.database.status = healthy",
            json_check(path="checks.database.status", equals="healthy"),
        ),
        ("data.count >= 3", json_check(path="data.count", ge=3)),
        ("latency.p95 < 2.5", json_check(path="latency.p95", lt=2.5)),
        ("items[0].ok != false", json_check(path="items[0].ok", notEquals=False)),
        ("HTTP 200 response", Expect(status=200)),
        ("HTTP 503", Expect(status=503)),
        ("200 OK", Expect(status=200)),
        ("status code 204", Expect(status=204)),
        ("exit code 0", Expect(exit_code=0)),
        ("exit status = 3", Expect(exit_code=3)),
    ],
)
def test_machine_checkable_forms(prose: str, expected: Expect) -> None:
    assert parse_prose_expectation(prose) == expected


def test_the_seeds_json_form_is_a_jmespath_equality() -> None:
    expect = parse_prose_expectation('checks.database.status = "healthy"')
    assert expect is not None and expect.json_checks is not None
    (check,) = expect.json_checks
    assert check == JsonCheck(path="checks.database.status", equals="healthy")
    assert expect.status is None and expect.exit_code is None


@pytest.mark.parametrize(
    "prose",
    [
        "Payment successful",
        "Connection failure or timeout",
        "Identify if provider-wide issue",
        "Site in read-only mode within 2 minutes",
        "High failure rate (>10%)",
        "Database status returns to healthy",
        "Using backup payment processor",
        "a.b = null",  # a JsonCheck cannot compare with null
        'a.b > "high"',  # an ordering needs a number
        "count = two words",
        "x = [1, 2",
        "HTTP 200 response\nand a body",
        "",
        "   ",
        None,
    ],
)
def test_prose_that_stays_prose(prose: str | None) -> None:
    assert parse_prose_expectation(prose) is None


def test_an_explicit_expect_block_wins() -> None:
    explicit = Expect(status=201)
    assert effective_expect(explicit, "HTTP 200 response") == explicit
    assert effective_expect(Expect(), "HTTP 200 response") == Expect(status=200)
    assert effective_expect(None, "Payment successful") is None


PATHS = st.from_regex(r"[A-Za-z_@][\w.\[\]@*-]{0,12}", fullmatch=True)
OPERATORS = st.sampled_from(["=", "==", "!=", ">", ">=", "<", "<="])
VALUES = st.one_of(
    st.text(max_size=12),
    st.from_regex(r"-?\d{1,5}(\.\d{1,3})?([eE][+-]?\d{1,3})?", fullmatch=True),
    st.sampled_from(["null", "true", "false", "NaN", "Infinity", "[]", "{}", '"x"', "'y'"]),
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.tuples(PATHS, OPERATORS, VALUES).map(" ".join)))
def test_any_text_gives_an_expect_or_none(prose: str) -> None:
    result = parse_prose_expectation(prose)
    assert result is None or (isinstance(result, Expect) and not result.is_empty())
