"""The timeline chart: inline SVG, one bar per phase with its outcome in words, markers for the
key moments, the four figures as brackets, widths proportional to time, every value escaped."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from typing import Any

import pytest
from drillbook.drill.result import DrillResult, TimelineEvent
from drillbook.report import build_report, render_html, render_markdown
from drillbook.report.view_chart import (
    MIN_WIDTH,
    PLOT_WIDTH,
    PLOT_X0,
    PLOT_X1,
    ChartView,
    ticks,
    timeline_chart,
)
from drillbook.report.view_moments import key_moments
from test_report_builders import at, error_drill, failed_drill, passed_drill, session
from test_report_html import Page, parse

ATTACK = "</title><script>alert(1)</script><text onclick=x>&amp;]]><![CDATA[ <!--"
PHASES = ["steady_state", "inject", "detect", "respond", "verify", "recover"]


def chart(drill: DrillResult) -> ChartView:
    view = timeline_chart(drill.to_dict(), "drill-1")
    assert view is not None
    return view


def x_at(seconds: float, total: float) -> float:
    """Where ``seconds`` after the start sits on a ``total``-second axis, worked out here."""
    return PLOT_X0 + seconds / total * PLOT_WIDTH


def html_of(drills: list[DrillResult]) -> str:
    return render_html(build_report(session(), [d.to_dict() for d in drills]))


def svg_of(page_text: str, number: int = 1) -> str:
    """The chart's <svg> element in drill ``number``'s section."""
    section = page_text[page_text.index(f'id="drill-{number}"') :]
    section = section[: section.index("</section>")]
    return section[section.index("<svg") : section.index("</svg>") + len("</svg>")]


def groups(svg: str, kind: str) -> list[str]:
    """Each <g class="kind"> of the chart, as markup."""
    return re.findall(rf'<g class="{kind}">(.*?)</g>', svg, re.S)


def texts_in(fragment: str) -> list[str]:
    return [t.strip() for t in parse(fragment).texts if t.strip()]


# -- bars -------------------------------------------------------------------------------------
def test_one_bar_per_phase_with_its_outcome_in_words_and_colour() -> None:
    svg = svg_of(html_of([passed_drill(), failed_drill()]), 2)
    bars = groups(svg, "phase")
    assert len(bars) == 6
    for name, bar in zip(PHASES, bars, strict=True):
        label, outcome, duration = texts_in(bar)[1:]  # [0] is the tooltip
        assert label == name and duration.endswith("s")
        wanted = ("bad", "✘ FAILED") if name == "verify" else ("ok", "✔ PASSED")
        assert outcome == wanted[1]
        assert f'<rect class="bar {wanted[0]}"' in bar
        assert f'<text class="outcome {wanted[0]}"' in bar
    verify = texts_in(bars[4])
    assert verify[0] == "verify: ✘ FAILED, 3.00 s (+10.0 s to +13.0 s)"


def test_bar_places_and_widths_are_proportional_to_time() -> None:
    view = chart(passed_drill())  # 30 s; detect 2 s to 6.2 s, respond 6.2 s to 7.5 s
    bars = {b.name: b for b in view.bars}
    assert list(bars) == PHASES
    detect, respond, recover = bars["detect"], bars["respond"], bars["recover"]
    assert float(detect.x) == pytest.approx(x_at(2, 30), abs=0.01)
    assert float(detect.width) == pytest.approx(4.2 / 30 * PLOT_WIDTH, abs=0.01)
    assert float(detect.width) / float(respond.width) == pytest.approx(4.2 / 1.3, rel=1e-3)
    assert float(recover.x) + float(recover.width) == pytest.approx(PLOT_X1, abs=0.01)
    assert float(detect.x) + float(detect.width) == pytest.approx(float(respond.x), abs=0.01)
    svg = svg_of(html_of([passed_drill()]))
    assert f'x="{detect.x}" y="{detect.y}" width="{detect.width}"' in svg


def test_time_before_and_after_the_phases_reads_as_set_up_and_teardown() -> None:
    drill = passed_drill()
    drill.started_at, drill.ended_at = at(-10), at(35)  # 10 s set-up, 5 s teardown; 45 s in all
    bars = chart(drill).bars
    assert [(b.name, b.css, b.outcome) for b in (bars[0], bars[-1])] == [
        ("set-up", "gap", ""),
        ("teardown", "gap", ""),
    ]
    assert float(bars[0].width) == pytest.approx(10 / 45 * PLOT_WIDTH, abs=0.01)
    assert float(bars[1].x) == pytest.approx(x_at(10, 45), abs=0.01)
    assert (bars[0].duration, bars[-1].duration) == ("10.0 s", "5.00 s")


def test_a_phase_too_short_to_see_is_still_a_sliver() -> None:
    drill = passed_drill()
    drill.phases[1].ended_at = drill.phases[1].started_at + timedelta(milliseconds=1)
    inject = chart(drill).bars[1]
    assert float(inject.width) == MIN_WIDTH
    assert inject.duration == "1.0 ms"


# -- markers ----------------------------------------------------------------------------------
def test_markers_for_the_fault_the_rule_and_the_incident_stamps() -> None:
    view = chart(passed_drill())
    shown = [(m.label, m.offset, m.css) for m in view.markers]
    assert shown == [
        ("Fault injected", "+1.00 s", "fault"),
        ("Rule fired", "+5.20 s", "detect"),  # when it fired, not when the runner noted it
        ("Incident opened", "+5.20 s", "incident"),
        ("Acknowledged", "+5.70 s", "incident"),
        ("Mitigation verified", "+7.50 s", "ok"),
        ("Fault lifted", "+9.00 s", "lifted"),
        ("Resolved", "+29.0 s", "ok"),
    ]
    acknowledged = view.markers[3]
    assert float(acknowledged.x) == pytest.approx(x_at(5.7, 30), abs=0.01)
    assert acknowledged.title == (
        "Acknowledged at 2026-05-01 12:00:05.700 UTC, +5.70 s: "
        "INC-20260501-0A1B2C acknowledged by Ada Lovelace"
    )
    assert view.markers[1].title.endswith("rule db-down fired 4.20 s after the fault")


def test_markers_of_an_open_incident_and_a_rule_only_on_the_timeline() -> None:
    labels = [(m.label, m.offset) for m in chart(failed_drill()).markers]
    assert labels == [
        ("Fault injected", "+1.00 s"),
        ("Rule fired", "+4.00 s"),  # no detection record fired: the timeline's stamp
        ("Incident opened", "+5.20 s"),
        ("Acknowledged", "+5.70 s"),
    ]


def test_without_an_incident_record_its_timeline_events_are_the_markers() -> None:
    drill = error_drill()
    drill.timeline = [
        TimelineEvent(at(5.5), "incident", "INC-1 opened: cache down (P3)"),
        TimelineEvent(at(6.0), "incident", "INC-1 acknowledged; mitigating"),
        TimelineEvent(at(6.5), "incident", "INC-1 merged into INC-0"),
        TimelineEvent(at(6.6), "step", "passed: step 1"),
    ]
    moments = key_moments(drill.to_dict())
    assert [(m.label, m.offset) for m in moments] == [
        ("Incident opened", "+500 ms"),
        ("Acknowledged", "+1.00 s"),
        ("Incident", "+1.50 s"),
    ]
    assert moments[2].detail == "INC-1 merged into INC-0"


def test_moments_outside_the_drill_are_drawn_at_its_edge() -> None:
    drill = passed_drill()
    drill.timeline.append(TimelineEvent(at(90), "fault", "lifted: late"))
    drill.timeline.append(TimelineEvent(at(-5), "fault", "injected: early"))
    markers = chart(drill).markers
    assert (markers[0].offset, float(markers[0].x)) == ("-5.00 s", PLOT_X0)
    assert (markers[-1].offset, float(markers[-1].x)) == ("+1 min 30 s", PLOT_X1)


def test_every_marker_has_a_diamond_a_guide_line_and_a_tooltip() -> None:
    svg = svg_of(html_of([passed_drill()]))
    moments = groups(svg, "moment")
    assert len(moments) == 7
    assert svg.count('<line class="guide') == 7
    for markup in moments:
        assert "<title>" in markup and '<polygon class="marker' in markup
    page = parse(svg)
    assert page.names.count("title") == 1 + 6 + 7 + 4  # the chart's, bars, markers, figures


# -- figures ----------------------------------------------------------------------------------
def bracket(d: str) -> tuple[float, float]:
    """The start and end x of a figure's bracket path."""
    xs = [float(x) for x in re.findall(r"[MH]([\d.]+)", d)]
    return xs[0], xs[-1]


def test_the_four_figures_are_brackets_from_the_moment_they_count_from() -> None:
    figures = chart(passed_drill()).figures  # detect 4.2, ack 5.0, mitigate 6.5, resolve none
    assert [(f.name, f.value) for f in figures] == [
        ("Time to detect", "4.20 s"),
        ("Time to acknowledge", "5.00 s"),
        ("Time to mitigate", "6.50 s"),
        ("Time to resolve", "—"),
    ]
    assert bracket(figures[0].path) == pytest.approx((x_at(1, 30), x_at(5.2, 30)), abs=0.01)
    assert bracket(figures[1].path) == pytest.approx((x_at(5.2, 30), x_at(10.2, 30)), abs=0.01)
    assert bracket(figures[2].path) == pytest.approx((x_at(1, 30), x_at(7.5, 30)), abs=0.01)
    assert figures[3].path == ""
    assert figures[3].title == "Time to resolve: not measured (fault injected → incident resolved)"
    svg = svg_of(html_of([passed_drill()]))
    assert svg.count('<path class="bracket"') == 3


def test_a_figure_with_nothing_to_count_from_has_its_value_but_no_bracket() -> None:
    drill = passed_drill()
    drill.timeline = [e for e in drill.timeline if e.kind != "fault"]
    figures = chart(drill).figures
    assert [(f.value, bool(f.path)) for f in figures] == [
        ("4.20 s", False),
        ("5.00 s", True),  # counts from the incident's opening, still known
        ("6.50 s", False),
        ("—", False),
    ]


# -- axis -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("total", "labels"),
    [
        (30, ["0 s", "5 s", "10 s", "15 s", "20 s", "25 s", "30 s"]),
        (0.35, ["0 s", "50 ms", "100 ms", "150 ms", "200 ms", "250 ms", "300 ms", "350 ms"]),
        (600, ["0 min", "2 min", "4 min", "6 min", "8 min", "10 min"]),
        (22.4, ["0 s", "5 s", "10 s", "15 s", "20 s"]),
    ],
)
def test_axis_ticks_are_round_and_few(total: float, labels: list[str]) -> None:
    found = ticks(total)
    assert [t.label for t in found] == labels
    step = float(found[1].x) - float(found[0].x)
    assert all(
        float(b.x) - float(a.x) == pytest.approx(step, abs=0.02)
        for a, b in itertools.pairwise(found)
    )


def test_no_chart_without_phases_or_time() -> None:
    drill = passed_drill()
    drill.phases = []
    assert timeline_chart(drill.to_dict(), "drill-1") is None
    still = passed_drill()
    still.ended_at = still.started_at
    assert timeline_chart(still.to_dict(), "drill-1") is None
    broken: dict[str, Any] = passed_drill().to_dict() | {"started_at": "yesterday"}
    assert timeline_chart(broken, "drill-1") is None
    page_text = html_of([drill])
    assert "<svg" not in page_text and "<h3>Timeline chart</h3>" not in page_text


# -- escaping, accessibility, Markdown ---------------------------------------------------------
def test_hostile_text_in_the_chart_stays_text() -> None:
    drill = passed_drill()
    drill.timeline[1].message = f"injected: {ATTACK}"
    drill.phases[2].name = ATTACK
    assert drill.incident is not None
    drill.incident["id"] = ATTACK
    svg = svg_of(html_of([drill]))
    page: Page = parse(svg)
    allowed = {"svg", "title", "desc", "g", "line", "text", "rect", "polygon", "path", "tspan"}
    assert set(page.names) <= allowed
    assert all(not name.startswith("on") for _, attrs in page.tags for name in attrs)
    assert "<script" not in svg and "<![CDATA[" not in svg and "<!--" not in svg
    assert page.texts.count(ATTACK) == 1  # the phase's name in its row
    tooltips = [t for t in page.texts if ATTACK in t]
    assert f"Fault injected at 2026-05-01 12:00:01.000 UTC, +1.00 s: injected: {ATTACK}" in tooltips
    assert any(t.endswith(f"{ATTACK} acknowledged by Ada Lovelace") for t in tooltips)


def test_the_chart_is_an_image_with_a_text_alternative() -> None:
    svg = svg_of(html_of([passed_drill()]))
    tag = parse(svg).tags[0]
    assert tag[0] == "svg" and tag[1]["role"] == "img"
    assert tag[1]["aria-labelledby"] == "drill-1-chart-title drill-1-chart-desc"
    desc = re.search(r'<desc id="drill-1-chart-desc">(.*?)</desc>', svg, re.S)
    assert desc is not None
    assert "detect ✔ PASSED 4.20 s" in desc.group(1)
    assert "Fault injected +1.00 s; Rule fired +5.20 s" in desc.group(1)
    assert "Time to resolve —" in desc.group(1)


def test_markdown_gets_a_one_line_list_of_key_events() -> None:
    text = render_markdown(build_report(session(), [passed_drill().to_dict()]))
    assert "<svg" not in text
    line = next(line for line in text.split("\n") if line.startswith("**Key events:**"))
    assert line == (
        "**Key events:** Fault injected +1.00 s · Rule fired +5.20 s · Incident opened +5.20 s"
        " · Acknowledged +5.70 s · Mitigation verified +7.50 s · Fault lifted +9.00 s"
        " · Resolved +29.0 s"
    )
