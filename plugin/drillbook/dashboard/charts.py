"""Inline SVG charts for the dashboard: a value over time (pass rate, time to detect, time to
mitigate), one point per day, week or month.

The geometry (``line_chart``) is computed apart from the markup (``render_svg``) so tests can
check that the points match the data. Every text in the SVG is escaped; each point carries its
own ``<title>`` so hovering it shows the figure. No ids are used: a page can hold many charts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

WIDTH, HEIGHT = 360, 150
LEFT, RIGHT, TOP, BOTTOM = 46, 12, 14, 30  # room for the axes' labels


@dataclass(frozen=True)
class Sample:
    """One value to plot: its day (a bucket's first day), the value and the hover text."""

    day: date
    value: float
    tooltip: str


@dataclass(frozen=True)
class PlotPoint:
    """A sample placed on the chart (SVG user units)."""

    x: float
    y: float
    sample: Sample


@dataclass(frozen=True)
class Tick:
    """A labelled position on an axis (y for the value axis, x for the time axis)."""

    at: float
    label: str


@dataclass(frozen=True)
class Chart:
    """A line chart's geometry and labels, ready to render."""

    title: str
    unit: str
    points: tuple[PlotPoint, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    y_max: float
    empty_text: str
    x_label: str = ""
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def plot_bottom(self) -> float:
        return float(self.height - BOTTOM)

    @property
    def plot_right(self) -> float:
        return float(self.width - RIGHT)


def line_chart(
    title: str,
    unit: str,
    samples: Sequence[Sample],
    *,
    y_max: float | None = None,
    percent: bool = False,
    empty_text: str = "no data yet",
    x_label: str = "",
) -> Chart:
    """The chart of ``samples`` (sorted by day here). ``y_max`` fixes the top of the value
    axis (100 for a pass rate); otherwise it is a round number above the largest value."""
    ordered = sorted(samples, key=lambda sample: sample.day)
    top = y_max if y_max is not None else _nice_ceiling(max((s.value for s in ordered), default=0))
    first = ordered[0].day if ordered else None
    span = (ordered[-1].day - ordered[0].day).days if ordered else 0
    points = tuple(
        PlotPoint(
            _x((sample.day - first).days, span) if first else 0.0, _y(sample.value, top), sample
        )
        for sample in ordered
    )
    return Chart(
        title=title,
        unit=unit,
        points=points,
        y_ticks=_y_ticks(top, unit, percent),
        x_ticks=_x_ticks(ordered),
        y_max=top,
        empty_text=empty_text,
        x_label=x_label,
    )


def _x(offset_days: int, span_days: int) -> float:
    """Where a day falls: spread over the plot; a single day sits in the middle."""
    if span_days <= 0:
        return round((LEFT + WIDTH - RIGHT) / 2, 2)
    return round(LEFT + (WIDTH - LEFT - RIGHT) * offset_days / span_days, 2)


def _y(value: float, top: float) -> float:
    share = min(max(value / top, 0.0), 1.0) if top > 0 else 0.0
    return round(HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * share, 2)


def _nice_ceiling(value: float) -> float:
    """A round number at least ``value`` (1, 2, 2.5, 5 times a power of ten); 1 for nothing."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def _y_ticks(top: float, unit: str, percent: bool) -> tuple[Tick, ...]:
    count = _tick_count(top)
    ticks = []
    for index in range(count + 1):
        value = top * index / count
        text = f"{value:.0f}%" if percent else f"{_number(value)} {unit}".strip()
        ticks.append(Tick(_y(value, top), text))
    return tuple(ticks)


def _tick_count(top: float) -> int:
    """Steps on the value axis that land on round numbers (2.5 in 5 steps of 0.5)."""
    lead = round(top / 10 ** math.floor(math.log10(top)), 2) if top > 0 else 1.0
    return 5 if lead in (2.5, 5.0) else 4


def _x_ticks(ordered: Sequence[Sample]) -> tuple[Tick, ...]:
    if not ordered:
        return ()
    first, last = ordered[0].day, ordered[-1].day
    span = (last - first).days
    if span <= 0:
        return (Tick(_x(0, 0), first.isoformat()),)
    return (Tick(_x(0, span), first.isoformat()), Tick(_x(span, span), last.isoformat()))


def _number(value: float) -> str:
    if value == 0:
        return "0"
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}"


def format_seconds(value: float) -> str:
    """A duration for people: ``850 ms``, ``4.2 s``, ``3.5 min``, ``2.1 h``."""
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 120:
        return f"{value:.1f} s"
    if value < 7200:
        return f"{value / 60:.1f} min"
    return f"{value / 3600:.1f} h"


def render_svg(chart: Chart) -> Markup:
    """The chart as an inline ``<svg>`` element (escaped texts, a tooltip on every point)."""
    parts = [
        f'<svg class="chart" viewBox="0 0 {chart.width} {chart.height}" role="img" '
        f'width="{chart.width}" height="{chart.height}">',
        f"<title>{escape(chart.title)}</title>",
        *_axes(chart),
    ]
    if not chart.points:
        parts.append(
            f'<text class="empty" x="{(LEFT + chart.plot_right) / 2:.1f}" '
            f'y="{(TOP + chart.plot_bottom) / 2:.1f}" text-anchor="middle">'
            f"{escape(chart.empty_text)}</text>"
        )
    elif len(chart.points) > 1:
        coordinates = " ".join(f"{point.x},{point.y}" for point in chart.points)
        parts.append(f'<polyline class="line" points="{coordinates}"/>')
    radius = 3.5 if len(chart.points) <= 60 else 2.5
    for point in chart.points:
        parts.append(
            f'<circle class="dot" cx="{point.x}" cy="{point.y}" r="{radius}">'
            f"<title>{escape(point.sample.tooltip)}</title></circle>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _axes(chart: Chart) -> list[str]:
    bottom, right = chart.plot_bottom, chart.plot_right
    parts = [
        f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}"/>',
        f'<line class="axis" x1="{LEFT}" y1="{bottom}" x2="{right}" y2="{bottom}"/>',
    ]
    for tick in chart.y_ticks:
        parts.append(f'<line class="grid" x1="{LEFT}" y1="{tick.at}" x2="{right}" y2="{tick.at}"/>')
        parts.append(
            f'<text class="tick" x="{LEFT - 4}" y="{tick.at + 3}" text-anchor="end">'
            f"{escape(tick.label)}</text>"
        )
    anchors = ("start", "end") if len(chart.x_ticks) == 2 else ("middle",)
    for tick, anchor in zip(chart.x_ticks, anchors, strict=False):
        parts.append(
            f'<text class="tick" x="{tick.at}" y="{bottom + 14}" text-anchor="{anchor}">'
            f"{escape(tick.label)}</text>"
        )
    if chart.x_label and chart.points:
        parts.append(
            f'<text class="axis-label" x="{(LEFT + right) / 2:.1f}" y="{chart.height - 3}" '
            f'text-anchor="middle">{escape(chart.x_label)}</text>'
        )
    return parts
