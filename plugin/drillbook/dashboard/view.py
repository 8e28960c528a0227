"""Formatting for the dashboard's pages: times (UTC, and how long ago), durations, outcome
badges (a fixed set of CSS classes, never one taken from the data) and each scenario's charts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from markupsafe import Markup

from drillbook.dashboard.charts import Sample, format_seconds, line_chart, render_svg
from drillbook.dashboard.scenarios import Bucket, Scenario, Unit

_OUTCOME_CSS = {
    "passed": "ok",
    "resolved": "ok",
    "failed": "bad",
    "error": "bad",
    "open": "bad",
    "unresolved": "bad",
    "skipped": "neutral",
    "signed": "ok",
    "changed after signing": "bad",
    "awaiting sign-off": "warn",
}
_X_LABELS = {"day": "day (UTC)", "week": "week (UTC, from Monday)", "month": "month (UTC)"}


@dataclass(frozen=True)
class Badge:
    """An outcome or status word and the CSS class that colours it."""

    label: str
    css: str


def badge(word: str | None) -> Badge:
    text = word or "unknown"
    return Badge(text, _OUTCOME_CSS.get(text.lower(), "neutral"))


def when(at: datetime | None) -> str:
    """``2026-11-29 14:29 UTC`` (an em dash for no time)."""
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if at else "—"


def ago(at: datetime | None, now: datetime) -> str:
    """How long before ``now``: ``5 min ago``, ``3 h ago``, ``12 days ago`` (``never``)."""
    if at is None:
        return "never"
    return f"{span(now - at)} ago" if at <= now else f"in {span(at - now)}"


def span(delta: timedelta) -> str:
    seconds = abs(delta.total_seconds())
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def relative(path: Path, root: Path) -> str:
    """``path`` relative to the workspace ``root`` when it lies inside it, else as it is."""
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def seconds(value: float | None) -> str:
    return format_seconds(value) if value is not None else "—"


def percent(value: float | None) -> str:
    return f"{value:.0f}%" if value is not None else "—"


@dataclass(frozen=True)
class ScenarioCharts:
    """The three charts of a scenario, as inline SVG."""

    pass_rate: Markup
    time_to_detect: Markup
    time_to_mitigate: Markup


def scenario_charts(scenario: Scenario) -> ScenarioCharts:
    unit, buckets = scenario.unit, scenario.buckets
    x_label = _X_LABELS[unit]
    rates = [
        Sample(
            b.start, rate, f"{_label(b.start, unit)}: {b.passed} of {b.judged} passed ({rate:.0f}%)"
        )
        for b in buckets
        if (rate := b.pass_rate) is not None
    ]
    return ScenarioCharts(
        pass_rate=render_svg(
            line_chart(
                f"Pass rate of {scenario.drill_id} per {unit}",
                "%",
                rates,
                y_max=100.0,
                percent=True,
                empty_text="no judged runs",
                x_label=x_label,
            )
        ),
        time_to_detect=_time_chart("Time to detect", scenario, buckets, "time_to_detect"),
        time_to_mitigate=_time_chart("Time to mitigate", scenario, buckets, "time_to_mitigate"),
    )


def _time_chart(name: str, scenario: Scenario, buckets: tuple[Bucket, ...], field: str) -> Markup:
    unit = scenario.unit
    samples = []
    for bucket in buckets:
        value = getattr(bucket, field)
        if value is not None:
            tooltip = (
                f"{_label(bucket.start, unit)}: median {format_seconds(value)} ({bucket.runs} runs)"
            )
            samples.append(Sample(bucket.start, value, tooltip))
    chart = line_chart(
        f"{name} of {scenario.drill_id} per {unit} (median, seconds)",
        "s",
        samples,
        empty_text="not measured yet",
        x_label=_X_LABELS[unit],
    )
    return render_svg(chart)


def _label(start: date, unit: Unit) -> str:
    if unit == "week":
        return f"week of {start.isoformat()}"
    if unit == "month":
        return f"{start:%Y-%m}"
    return start.isoformat()
