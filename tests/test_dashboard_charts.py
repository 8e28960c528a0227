"""The dashboard's inline SVG charts and the per-scenario aggregation behind them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest
from drillbook.dashboard.charts import (
    BOTTOM,
    HEIGHT,
    LEFT,
    RIGHT,
    TOP,
    WIDTH,
    Sample,
    format_seconds,
    line_chart,
    render_svg,
)
from drillbook.dashboard.scenarios import bucket_start, bucket_unit, buckets, page_name, summarize
from drillbook.history.records import DrillRun
from hypothesis import given
from hypothesis import strategies as st


class SvgReader(HTMLParser):
    """The circles (with their tooltips), polylines and texts of an SVG."""

    def __init__(self) -> None:
        super().__init__()
        self.circles: list[dict[str, str]] = []
        self.polylines: list[str] = []
        self.elements: list[str] = []
        self.texts: list[str] = []
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(tag)
        values = {name: value or "" for name, value in attrs}
        if tag == "circle":
            self.circles.append(values)
        if tag == "polyline":
            self.polylines.append(values["points"])
        self._open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._open.pop()

    def handle_endtag(self, tag: str) -> None:
        assert self._open.pop() == tag

    def handle_data(self, data: str) -> None:
        if self._open and self._open[-1] == "title" and len(self._open) > 2:
            self.circles[-1]["tooltip"] = self.circles[-1].get("tooltip", "") + data
        self.texts.append(data)


def read_svg(svg: str) -> SvgReader:
    reader = SvgReader()
    reader.feed(svg)
    reader.close()
    return reader


def samples(values: list[float], start: date = date(2026, 1, 5), step: int = 7) -> list[Sample]:
    return [
        Sample(start + timedelta(days=step * i), v, f"point {i}: {v}") for i, v in enumerate(values)
    ]


def test_points_follow_the_data_left_to_right_and_bottom_up() -> None:
    chart = line_chart("Pass rate", "%", samples([0, 50, 100, 25]), y_max=100, percent=True)
    xs = [point.x for point in chart.points]
    ys = [point.y for point in chart.points]
    assert xs == sorted(xs) and xs[0] == LEFT and xs[-1] == WIDTH - RIGHT
    assert ys[0] == HEIGHT - BOTTOM  # 0 % at the bottom
    assert ys[2] == TOP  # 100 % at the top
    assert ys[1] == pytest.approx((TOP + HEIGHT - BOTTOM) / 2)
    svg = read_svg(render_svg(chart))
    assert [(float(c["cx"]), float(c["cy"])) for c in svg.circles] == list(zip(xs, ys, strict=True))
    assert [c["tooltip"] for c in svg.circles] == [
        f"point {i}: {v}" for i, v in enumerate([0, 50, 100, 25])
    ]
    assert svg.polylines == [" ".join(f"{x},{y}" for x, y in zip(xs, ys, strict=True))]


def test_days_apart_are_spaced_by_time_not_by_index() -> None:
    days = [date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 11)]
    chart = line_chart("t", "s", [Sample(day, 1.0, "") for day in days])
    first, second, third = (point.x for point in chart.points)
    assert second - first == pytest.approx((third - first) / 10, abs=0.02)


def test_an_empty_chart_says_so_and_has_no_points() -> None:
    chart = line_chart("Time to detect", "s", [], empty_text="not measured yet")
    svg = read_svg(render_svg(chart))
    assert svg.circles == [] and svg.polylines == []
    assert "not measured yet" in svg.texts
    assert "Time to detect" in svg.texts  # the SVG's own <title>


def test_a_single_point_sits_in_the_middle_with_its_day_labelled() -> None:
    chart = line_chart("t", "s", [Sample(date(2026, 3, 4), 2.0, "one run")], x_label="day (UTC)")
    svg = read_svg(render_svg(chart))
    assert len(svg.circles) == 1 and svg.polylines == []
    assert float(svg.circles[0]["cx"]) == pytest.approx((LEFT + WIDTH - RIGHT) / 2)
    assert "2026-03-04" in svg.texts and "day (UTC)" in svg.texts


def test_the_value_axis_is_labelled_with_round_numbers_and_the_unit() -> None:
    chart = line_chart("t", "s", samples([0.4, 2.3]))
    assert chart.y_max == 2.5
    assert [tick.label for tick in chart.y_ticks] == [
        "0 s",
        "0.5 s",
        "1 s",
        "1.5 s",
        "2 s",
        "2.5 s",
    ]
    percent = line_chart("p", "%", samples([10]), y_max=100, percent=True)
    assert [tick.label for tick in percent.y_ticks] == ["0%", "25%", "50%", "75%", "100%"]


@given(st.floats(min_value=1e-6, max_value=1e7, allow_nan=False))
def test_the_axis_top_is_at_least_the_largest_value(value: float) -> None:
    chart = line_chart("t", "s", samples([value]))
    assert value <= chart.y_max <= value * 10
    assert TOP <= chart.points[0].y <= HEIGHT - BOTTOM


@given(st.text(min_size=1, max_size=40))
def test_texts_in_a_chart_never_become_markup(text: str) -> None:
    chart = line_chart(text, "s", [Sample(date(2026, 1, 1), 1.0, text)], empty_text=text)
    svg = read_svg(render_svg(chart))
    assert svg.elements.count("title") == 2  # the chart's and the point's, nothing more
    assert set(svg.elements) <= {"svg", "title", "line", "text", "circle"}
    assert svg.circles[0]["tooltip"] == text


def test_durations_read_well() -> None:
    assert [format_seconds(v) for v in (0.25, 4.21, 210, 9000)] == [
        "250 ms",
        "4.2 s",
        "3.5 min",
        "2.5 h",
    ]


# -- aggregation --------------------------------------------------------------------------------


def run(drill_id: str, at: datetime, outcome: str = "passed", ttd: float | None = 1.0) -> DrillRun:
    return DrillRun(
        run_id=f"r-{at.isoformat()}",
        drill_id=drill_id,
        title=f"Drill {drill_id}",
        runbook_id="rb",
        severity="P1",
        outcome=outcome,
        started_at=at,
        duration=10.0,
        time_to_detect=ttd,
        time_to_acknowledge=None,
        time_to_mitigate=ttd * 3 if ttd else None,
        time_to_resolve=None,
        failure=None if outcome == "passed" else "verify: check failed",
        report=None,
    )


def test_a_year_of_nightly_runs_is_downsampled_per_week_without_losing_any() -> None:
    start = datetime(2025, 12, 1, 2, 0, tzinfo=UTC)
    runs = [
        run(
            "db", start + timedelta(days=i // 3, hours=i % 3), "failed" if i % 10 == 0 else "passed"
        )
        for i in range(3 * 365)
    ]
    [scenario] = summarize(runs, recent=25)
    assert scenario.unit == "week"
    assert 52 <= len(scenario.buckets) <= 54
    assert sum(b.runs for b in scenario.buckets) == len(runs)
    assert sum(b.passed for b in scenario.buckets) == scenario.passed == len(runs) - 110
    assert all(b.start.weekday() == 0 for b in scenario.buckets)
    assert len(scenario.recent) == 25 and scenario.recent[0] == scenario.last == runs[-1]
    assert [r.started_at for r in scenario.recent] == sorted(
        (r.started_at for r in scenario.recent), reverse=True
    )


def test_skipped_runs_are_no_verdict_and_medians_use_measured_runs_only() -> None:
    day = datetime(2026, 5, 1, tzinfo=UTC)
    runs = [
        run("x", day, "passed", 1.0),
        run("x", day, "failed", None),
        run("x", day, "skipped", 9.0),
    ]
    [bucket] = buckets(runs, "day")
    assert (bucket.runs, bucket.judged, bucket.passed) == (3, 2, 1)
    assert bucket.pass_rate == 50.0
    assert bucket.time_to_detect == 5.0  # median of 1.0 and 9.0


def test_units_and_bucket_starts() -> None:
    assert bucket_unit(date(2026, 1, 1), date(2026, 3, 1)) == "day"
    assert bucket_unit(date(2025, 1, 1), date(2026, 1, 1)) == "week"
    assert bucket_unit(date(2020, 1, 1), date(2026, 1, 1)) == "month"
    assert bucket_start(date(2026, 11, 29), "week") == date(2026, 11, 23)
    assert bucket_start(date(2026, 11, 29), "month") == date(2026, 11, 1)


def test_failing_scenarios_come_first() -> None:
    at = datetime(2026, 5, 1, tzinfo=UTC)
    scenarios = summarize([run("a", at), run("b", at, "failed"), run("c", at, "error")])
    assert [s.drill_id for s in scenarios] == ["b", "c", "a"]


@given(st.text(min_size=1, max_size=80))
def test_page_names_are_safe_file_names_and_differ_per_id(drill_id: str) -> None:
    name = page_name(drill_id)
    assert name.startswith("scenario-") and name.endswith(".html")
    assert all(c.isascii() and (c.isalnum() or c in "-.") for c in name)
    assert page_name(drill_id + "x") != name
