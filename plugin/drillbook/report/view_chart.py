"""A drill's timeline as a chart: every position and width computed here, drawn as inline SVG by
templates/chart.html.

The chart is a Gantt-like list of rows over one time axis running from the drill's start to its
end: the phases as bars (with the time before the first and after the last phase as set-up and
teardown), then the key moments as markers, then the four incident figures as brackets from the
moment each is counted from. Every row says in words what it shows (name, outcome, duration,
offset) in a label column left of the plot, so colour is never the only carrier; tooltips
(``title``) give the recorded details. Coordinates are in the SVG's user units and depend only
on times, never on the length of a recorded text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from drillbook.report import formatting as fmt
from drillbook.report.json_report import METRIC_BASIS, STANDARD_METRICS
from drillbook.report.view_moments import Moment, first, key_moments

WIDTH = 960.0
LABEL_X = 8.0  # where the label column starts
OUTCOME_X = 112.0  # a phase's outcome, after its name
VALUE_X = 266.0  # right edge of the label column: durations, offsets, figures
PLOT_X0 = 280.0
PLOT_X1 = 944.0
PLOT_WIDTH = PLOT_X1 - PLOT_X0
AXIS_Y = 14.0  # baseline of the tick labels
TOP = 24.0  # where the rows start
ROW = 22.0
BAR = 14.0
HEADING = 22.0
MARKER = 6.0  # half the diamond's diagonal
MIN_WIDTH = 2.0  # a phase too short to see still shows as a sliver
MAX_TICKS = 8
TICK_STEPS = (
    *(f * 10.0**e for e in range(-3, 1) for f in (1, 2, 5)),
    *(10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0),
    *(3600.0 * h for h in (1, 2, 3, 6, 12, 24)),
)
GAP_SHARE = 0.005  # time before/after the phases gets a row when it is at least this share
# Each figure's bracket starts at the first of these moments (see METRIC_BASIS).
FIGURE_ANCHORS = {
    "time_to_detect": ("fault_injected", "fault"),
    "time_to_acknowledge": ("opened",),
    "time_to_mitigate": ("fault_injected", "fault"),
    "time_to_resolve": ("fault_injected", "fault"),
}


def num(value: float) -> str:
    """A coordinate as the SVG gets it: two decimals."""
    return f"{value:.2f}"


@dataclass(frozen=True)
class Scale:
    """Seconds after the drill's start to x in the plot; times outside the drill are clamped."""

    total: float

    def x(self, seconds: float) -> float:
        return PLOT_X0 + min(max(seconds, 0.0), self.total) / self.total * PLOT_WIDTH

    def width(self, begin: float, end: float) -> float:
        """The exact width of [begin, end] (clamped to the drill), not widened to MIN_WIDTH."""
        return self.x(end) - self.x(begin)


@dataclass(frozen=True)
class TickView:
    """A tick of the time axis: where, and its label ('5 s', '2 min')."""

    x: str
    label: str


@dataclass(frozen=True)
class HeadingView:
    """The heading of a group of rows ('Phases', 'Key events', 'Incident figures')."""

    text: str
    y: str


@dataclass(frozen=True)
class BarView:
    """A phase (or the set-up before or teardown after the phases) as a bar: its name, outcome
    word and duration as text, its CSS class (ok, bad, neutral, gap) and its box."""

    name: str
    outcome: str
    css: str
    duration: str
    title: str
    x: str
    y: str
    width: str
    height: str
    text_y: str


@dataclass(frozen=True)
class MarkerView:
    """A key moment as a diamond on its own row, with a guide line across the whole plot."""

    label: str
    offset: str
    css: str
    title: str
    x: str
    y: str
    points: str
    text_y: str


@dataclass(frozen=True)
class FigureView:
    """One of the four incident figures: its name and value as text, and a bracket from the
    moment it counts from to where it ends ('' when not measured or nothing to count from)."""

    name: str
    value: str
    title: str
    path: str
    text_y: str


@dataclass(frozen=True)
class ChartView:
    """Everything templates/chart.html draws; all numbers already formatted."""

    id: str
    width: str
    height: str
    plot_x0: str
    plot_x1: str
    axis_y: str
    top: str
    bottom: str
    label_x: str
    outcome_x: str
    value_x: str
    headings: list[HeadingView]
    ticks: list[TickView]
    bars: list[BarView]
    markers: list[MarkerView]
    figures: list[FigureView]
    summary: str


class _Rows:
    """Hands out the vertical places of rows and headings, top to bottom."""

    def __init__(self) -> None:
        self.y = TOP
        self.headings: list[HeadingView] = []

    def heading(self, text: str) -> None:
        self.headings.append(HeadingView(text, num(self.y + HEADING - 6)))
        self.y += HEADING

    def row(self) -> float:
        """The centre of the next row."""
        centre = self.y + ROW / 2
        self.y += ROW
        return centre


def timeline_chart(drill: dict[str, Any], anchor: str) -> ChartView | None:
    """The chart of one drill (``DrillResult.to_dict()`` data), or None when it has no phase
    with readable times or no time between its start and end. ``anchor`` makes ids unique."""
    start = fmt.parse_instant(drill.get("started_at"))
    end = fmt.parse_instant(drill.get("ended_at"))
    if start is None or end is None or not _comparable(start, end):
        return None
    phases = _phases(start, drill.get("phases"))
    total = (end - start).total_seconds()
    if not phases or total <= 0:
        return None
    scale, rows = Scale(total), _Rows()
    moments = key_moments(drill)
    rows.heading("Phases")
    bars = [_bar(scale, rows.row(), *phase) for phase in _with_gaps(phases, total)]
    markers: list[MarkerView] = []
    if moments:
        rows.heading("Key events")
        markers = [_marker(scale, rows.row(), m) for m in moments]
    rows.heading("Incident figures")
    metrics = drill.get("metrics")
    metrics = metrics if isinstance(metrics, dict) else {}
    figures = [_figure(scale, rows.row(), n, metrics.get(n), moments) for n in STANDARD_METRICS]
    bottom = rows.y + 4
    return ChartView(
        id=f"{anchor}-chart",
        width=num(WIDTH),
        height=num(bottom + 4),
        plot_x0=num(PLOT_X0),
        plot_x1=num(PLOT_X1),
        axis_y=num(AXIS_Y),
        top=num(TOP),
        bottom=num(bottom),
        label_x=num(LABEL_X),
        outcome_x=num(OUTCOME_X),
        value_x=num(VALUE_X),
        headings=rows.headings,
        ticks=ticks(total),
        bars=bars,
        markers=markers,
        figures=figures,
        summary=_summary(total, bars, markers, figures),
    )


def ticks(total: float) -> list[TickView]:
    """Round ticks from 0 to ``total`` seconds, at most MAX_TICKS steps apart."""
    step = next((s for s in TICK_STEPS if total / s <= MAX_TICKS), total / MAX_TICKS)
    scale, found, n = Scale(total), [], 0
    while n * step <= total * (1 + 1e-9):
        found.append(TickView(num(scale.x(n * step)), tick_label(n * step, step)))
        n += 1
    return found


def tick_label(seconds: float, step: float) -> str:
    """'0 s', '500 ms', '15 s', '2 min', '1.5 h', in the unit the step is counted in."""
    if step >= 3600:
        return f"{seconds / 3600:g} h"
    if step >= 60:
        return f"{seconds / 60:g} min"
    if step >= 1 or seconds == 0:
        return f"{seconds:g} s"
    return f"{round(seconds * 1000, 3):g} ms"


# (name, outcome, begin, end) of a phase, in seconds after the drill's start
_Phase = tuple[str, str, float, float]


def _phases(start: datetime, data: Any) -> list[_Phase]:
    found = []
    for phase in data if isinstance(data, list) else []:
        if not isinstance(phase, dict):
            continue
        begin, end = (fmt.parse_instant(phase.get(key)) for key in ("started_at", "ended_at"))
        if begin is None or end is None or not _comparable(start, begin, end):
            continue
        offsets = ((begin - start).total_seconds(), (end - start).total_seconds())
        found.append((str(phase.get("name") or ""), str(phase.get("outcome") or ""), *offsets))
    return found


def _comparable(start: datetime, *moments: datetime) -> bool:
    return all((m.tzinfo is None) == (start.tzinfo is None) for m in moments)


def _with_gaps(phases: list[_Phase], total: float) -> list[_Phase]:
    """The phases, with 'set-up' before and 'teardown' after them when those take a while."""
    before, after = min(p[2] for p in phases), max(p[3] for p in phases)
    rows = [("set-up", "", 0.0, before)] if before >= GAP_SHARE * total else []
    rows.extend(phases)
    if total - after >= GAP_SHARE * total:
        rows.append(("teardown", "", after, total))
    return rows


def _bar(scale: Scale, centre: float, name: str, outcome: str, begin: float, end: float) -> BarView:
    shown = fmt.outcome_label(outcome) if outcome else ""
    duration = fmt.seconds(end - begin)
    span = f"+{fmt.seconds(max(begin, 0.0))} to +{fmt.seconds(max(end, 0.0))}"
    title = f"{name}: {shown}, {duration} ({span})" if shown else f"{name}: {duration} ({span})"
    return BarView(
        name=name,
        outcome=shown,
        css=fmt.outcome_class(outcome) if outcome else "gap",
        duration=duration,
        title=title,
        x=num(scale.x(begin)),
        y=num(centre - BAR / 2),
        width=num(max(scale.width(begin, end), MIN_WIDTH)),
        height=num(BAR),
        text_y=num(centre + 4),
    )


def _marker(scale: Scale, centre: float, moment: Moment) -> MarkerView:
    x = scale.x(moment.seconds)
    corners = (
        (x, centre - MARKER),
        (x + MARKER, centre),
        (x, centre + MARKER),
        (x - MARKER, centre),
    )
    return MarkerView(
        label=moment.label,
        offset=moment.offset,
        css=moment.css,
        title=moment.tooltip,
        x=num(x),
        y=num(centre),
        points=" ".join(f"{num(a)},{num(b)}" for a, b in corners),
        text_y=num(centre + 4),
    )


def _figure(
    scale: Scale, centre: float, name: str, value: Any, moments: list[Moment]
) -> FigureView:
    title, basis = fmt.metric_title(name), METRIC_BASIS[name]
    origin = first(moments, *FIGURE_ANCHORS[name])
    measured = fmt.is_number(value) and value >= 0
    path = ""
    if measured and origin is not None:
        x0, x1 = scale.x(origin.seconds), scale.x(origin.seconds + value)
        top, low = num(centre - 5), num(centre + 5)
        path = f"M{num(x0)},{top}V{low}M{num(x0)},{num(centre)}H{num(x1)}M{num(x1)},{top}V{low}"
    shown = fmt.brief_seconds(value) if measured else "—"
    tip = f"{title}: {fmt.seconds(value) if measured else 'not measured'} ({basis})"
    return FigureView(name=title, value=shown, title=tip, path=path, text_y=num(centre + 4))


def _summary(
    total: float, bars: list[BarView], markers: list[MarkerView], figures: list[FigureView]
) -> str:
    """The chart in one sentence, for screen readers."""
    phases = "; ".join(" ".join(filter(None, (b.name, b.outcome, b.duration))) for b in bars)
    moments = "; ".join(f"{m.label} {m.offset}" for m in markers) or "none"
    shown = "; ".join(f"{f.name} {f.value}" for f in figures)
    return (
        f"Drill timeline over {fmt.seconds(total)}. Phases: {phases}. "
        f"Key events: {moments}. Figures: {shown}."
    )
