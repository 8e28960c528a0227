"""How report values read: durations from microseconds to hours, windows, ratios, values."""

from __future__ import annotations

import pytest
from drillbook.report import formatting as fmt
from hypothesis import given
from hypothesis import strategies as st


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0, "0 s"),
        (0.00003, "0 s"),
        (0.0004, "0.4 ms"),
        (0.0026, "2.6 ms"),
        (0.00996, "10 ms"),
        (0.0108, "11 ms"),
        (0.467, "467 ms"),
        (0.9996, "1.00 s"),
        (4.2, "4.20 s"),
        (9.996, "10.0 s"),
        (42, "42.0 s"),
        (59.96, "1 min 00 s"),
        (185, "3 min 05 s"),
        (3720, "1 h 02 min"),
        (None, fmt.NOT_MEASURED),
        (float("nan"), fmt.NOT_MEASURED),
        (float("inf"), fmt.NOT_MEASURED),
        (True, fmt.NOT_MEASURED),
    ],
)
def test_seconds(value: object, shown: str) -> None:
    assert fmt.seconds(value) == shown


@given(st.floats(min_value=0, max_value=10 * 86400))
def test_every_duration_reads_with_one_unit_and_no_exponent(value: float) -> None:
    shown = fmt.seconds(value)
    assert "e" not in shown.replace("sec", "")
    number = shown.split()[0]
    assert float(number) < 1000 or shown.endswith(" min")  # never '1000 ms' or '60.0 s'
    assert not shown.startswith("60.0") and not shown.startswith("1000")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "—"),
        (0.5, "500 ms"),
        (5.0, "5 s"),
        (90.0, "90 s"),
        (300.0, "5 min"),
        (600, "10 min"),
        (7200.0, "2 h"),
        (12.3456, "12.346 s"),
    ],
)
def test_span(value: object, shown: str) -> None:
    assert fmt.span(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, "—"), (0.0, "0.00%"), (0.076923, "7.69%"), (1, "100.00%"), (float("nan"), "—")],
)
def test_ratio(value: object, shown: str) -> None:
    assert fmt.ratio(value) == shown


def test_brief_seconds_and_measured() -> None:
    assert fmt.brief_seconds(None) == "—"
    assert fmt.brief_seconds(0.0412) == "41 ms"
    assert fmt.measured(0.06818181818) == "0.06818"
    assert fmt.measured(None) == "—"


def test_offsets_read_like_durations() -> None:
    start = "2026-05-01T12:00:00+00:00"
    assert fmt.offset_from(start, "2026-05-01T12:00:00.011+00:00") == "+11 ms"
    assert fmt.offset_from(start, "2026-05-01T11:59:58+00:00") == "-2.00 s"
    assert fmt.offset_from(start, None) == ""
