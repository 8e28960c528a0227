"""The HTML report: escaped values, nothing loaded from elsewhere, clear outcomes, printable."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from drillbook.drill.result import DrillResult, TimelineEvent
from drillbook.report import Participant, build_report, render_html
from drillbook.steps.outcome import Mismatch
from hypothesis import given, settings
from hypothesis import strategies as st
from test_report_builders import (
    all_drills,
    error_drill,
    failed_drill,
    passed_drill,
    poison_observations,
    session,
)

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
ATTACK = f"{SCRIPT} {IMG} ' & --> <!-- <style>body{{display:none}}</style>"
VOID = {"meta", "br"}
URL_ATTRIBUTES = {"src", "href", "action", "formaction", "srcset", "data", "poster", "xlink:href"}


@dataclass
class Page:
    """What html.parser saw: start tags with attributes, and text chunks (already unescaped)."""

    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    open_elements: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.tags]


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.page.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.page.open_elements.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.page.open_elements, f"</{tag}> closes nothing"
        opened = self.page.open_elements.pop()
        assert opened == tag, f"</{tag}> closes <{opened}>"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.page.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.page.texts.append(data)

    def handle_comment(self, data: str) -> None:
        raise AssertionError(f"unexpected comment in the page: {data!r}")


def parse(text: str) -> Page:
    collector = Collector()
    collector.feed(text)
    collector.close()
    assert collector.page.open_elements == [], "elements left open"
    return collector.page


def render(drills: list[DrillResult], participants: list[Participant] | None = None) -> str:
    return render_html(build_report(session(participants), [d.to_dict() for d in drills]))


def poisoned(text: str) -> list[DrillResult]:
    """The three sample drills with ``text`` in every free-text field."""
    drills = all_drills()
    for drill in drills:
        drill.drill_id = drill.title = drill.severity = drill.runbook_id = text
        drill.tags = [text]
        drill.services = [{text: text}]
        drill.timeline.append(TimelineEvent(drill.started_at, text, text))
        for phase in drill.phases:
            phase.message = text
            for action in phase.actions:
                action.label = action.shown = action.message = text
                action.stdout = action.stderr = text
                action.file = text
                action.mismatches.append(Mismatch(text, text, text))
        if drill.failure is not None:
            drill.failure.summary = drill.failure.phase = text
            drill.failure.faults_active = [text]
        poison_observations(drill, text)
    return drills


def test_values_never_become_live_markup() -> None:
    people = [Participant(ATTACK, ATTACK)]
    page_text = render(poisoned(ATTACK), people)
    page = parse(page_text)
    assert "script" not in page.names and "img" not in page.names
    assert page.names.count("style") == 1  # the template's own, in <head>
    assert all(not attr.startswith("on") for _, attrs in page.tags for attr in attrs)
    assert SCRIPT not in page_text and "<img" not in page_text
    assert any(ATTACK in chunk for chunk in page.texts)  # the parser already unescaped it


def test_the_page_loads_nothing_from_elsewhere() -> None:
    drills = all_drills()
    drills[1].phases[4].actions[0].shown = "curl -fsS https://payments.example/health"
    drills[0].title = "see //cdn.example/x.js and http://evil.example/"
    page_text = render(drills)
    page = parse(page_text)
    for name in ("script", "link", "img", "iframe", "object", "embed", "base", "video", "audio"):
        assert name not in page.names
    for _, attrs in page.tags:
        for attr, value in attrs.items():
            if attr in URL_ATTRIBUTES:
                assert value is not None and value.startswith("#"), (attr, value)
    outside_text = re.sub(r">[^<]*<", "><", page_text)  # markup only, text nodes removed
    for marker in ("http:", "https:", "//", "url(", "@import"):
        assert marker not in outside_text
    csp = [a for n, a in page.tags if n == "meta" and a.get("http-equiv")]
    assert csp[0]["content"] == "default-src 'none'; style-src 'unsafe-inline'"


def test_template_has_no_external_reference_even_in_its_own_text() -> None:
    page_text = render(all_drills())
    for marker in ("http:", "https:", "//"):
        assert marker not in page_text


def badges(page_text: str) -> list[tuple[str, str]]:
    """(css class, text) of every outcome badge, in page order."""
    found = re.findall(r'<span class="badge (\w+)">([^<]*)</span>', page_text)
    spans = [a for n, a in parse(page_text).tags if n == "span" and "badge" in str(a.get("class"))]
    assert len(found) == len(spans)
    return found


def test_outcomes_are_told_by_word_and_symbol_not_colour_alone() -> None:
    page_text = render(all_drills())
    shown = badges(page_text)
    assert ("ok", "✔ PASSED") in shown
    assert ("bad", "✘ FAILED") in shown
    assert ("bad", "⚠ ERROR") in shown
    assert all(label.split()[-1].isupper() for _, label in shown)
    sections = re.findall(r'<section class="drill (\w+)" id="drill-(\d)">', page_text)
    assert sections == [("ok", "1"), ("bad", "2"), ("bad", "3")]
    assert '<h1>Drill report <span class="badge bad">✘ FAILED</span></h1>' in page_text


def test_a_passing_session_says_so() -> None:
    page_text = render([passed_drill()])
    assert '<h1>Drill report <span class="badge ok">✔ PASSED</span></h1>' in page_text


def details(page_text: str) -> list[tuple[str, bool, str]]:
    """(class, open?, summary text) of every <details>."""
    found = re.findall(r'<details class="([\w ]+)"( open)?>\s*<summary>(.*?)</summary>', page_text)
    return [
        (cls, bool(is_open), re.sub(r"<[^>]+>", "", summary)) for cls, is_open, summary in found
    ]


def test_actions_and_outputs_collapse_and_failures_start_open() -> None:
    found = details(render([passed_drill(), failed_drill()]))
    passing = [d for d in found if d[0] == "action ok"]
    failing = [d for d in found if d[0] == "action bad"]
    assert passing and all(not is_open for _, is_open, _ in passing)
    assert len(failing) == 2  # in "Why it failed" and under its phase
    assert all(is_open and "failing action" in summary for _, is_open, summary in failing)
    outputs = [d for d in found if d[0] == "output"]
    assert ("output", True, "stdout (last 40 of 100 lines)") in outputs
    assert ("output", True, "stderr") in outputs
    assert ("output", False, "stdout") in outputs


def test_failure_block_shows_phase_summary_faults_and_mismatches() -> None:
    page_text = render([failed_drill()])
    failure = page_text[page_text.index('<div class="failure">') : page_text.index("<h3>Metrics")]
    text = html.unescape(re.sub(r"<[^>]+>", " ", failure))
    words = " ".join(text.split())
    assert "Phase verify" in words
    assert "Summary orders API still failing after the runbook's response" in words
    assert "Faults still active http-500 on stripe (toxic stripe_500)" in words
    assert "json status 'ok' 'degraded | down'" in words
    assert "Exit code 7" in words and "Attempts 3" in words
    assert "runbooks/database-outage.yaml:31" in words
    assert "line 100" in words and "line 60 " not in words


def test_metrics_not_measured_and_signoff_rows() -> None:
    page_text = render([error_drill()])
    assert page_text.count("<td>— (not measured)</td>") >= 4
    signoff = page_text[page_text.index('<table class="signoff">') :]
    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td class=\"signature\"></td>", signoff)
    assert rows == [("Ada Lovelace", "trainee"), ("Grace Hopper", "lead")]


def test_prints_well() -> None:
    style = re.search(r"<style>(.*)</style>", render(all_drills()), re.S)
    assert style is not None
    assert "@media print" in style.group(1)
    assert "break-before: page" in style.group(1)
    assert "print-color-adjust: exact" in style.group(1)


# Arbitrary text: the page must parse, keep the text exactly, and keep its own structure.
# Plain generated text rarely holds markup, so pieces of it are mixed in.
MARKUP = ["<b>", "</td>", "<img src=x>", "<script>", "&amp;", "&lt;", "&", '"', "'", "-->", "\n"]


def texts(max_size: int) -> st.SearchStrategy[str]:
    pieces = st.one_of(st.text(max_size=20), st.sampled_from(MARKUP))
    return st.lists(pieces, max_size=8).map("".join).map(lambda t: t[:max_size])


lines_under_tail = texts(300).filter(lambda t: t.count("\n") < 39)


def skeleton(text: str) -> str:
    """Same emptiness and line count as ``text``, nothing special in it."""
    return re.sub(r"[^\n]", "x", text)


def fuzzed(texts: dict[str, str]) -> dict[str, Any]:
    drill = failed_drill()
    drill.title = texts["title"]
    drill.drill_id = texts["id"]
    bad = drill.phases[4].actions[0]
    bad.shown, bad.stdout, bad.stderr = texts["command"], texts["output"], texts["output"]
    bad.mismatches.append(Mismatch("body", texts["expected"], texts["actual"]))
    assert drill.failure is not None
    drill.failure.action = bad
    drill.failure.summary = texts["title"]
    drill.timeline.append(TimelineEvent(drill.started_at, "note", texts["output"]))
    observe(drill, texts)
    people = [Participant(texts["title"], texts["id"] or "role")]
    return build_report(session(people), [drill.to_dict(), passed_drill().to_dict()])


def observe(drill: DrillResult, texts: dict[str, str]) -> None:
    """Put the fuzzed texts into the drill's providers, incident, detection and traffic."""
    drill.providers = [texts["provider"]]
    assert drill.incident and drill.detection and drill.traffic
    drill.incident["title"] = texts["title"]
    drill.incident["root_cause"] = texts["cause"]
    drill.incident["responders"] = [{"name": texts["actor"], "role": "lead", "contact": ""}]
    drill.incident["timeline"][2].update(actor=texts["actor"], message=texts["message"])
    rule = drill.detection["rules"][1]
    rule.update(name=texts["rule"], source=texts["source"])
    drill.detection["last_evaluations"][1].update(detail=texts["detail"])
    drill.traffic["entries"][0]["name"] = texts["entry"]
    drill.traffic["error_examples"] = [texts["example"]]
    chart_and_paging(drill, texts)


def chart_and_paging(drill: DrillResult, texts: dict[str, str]) -> None:
    """Put the fuzzed texts where the timeline chart and the escalation and notification tables
    show them: a phase's name, the fault's message (a tooltip), a page, a notification."""
    drill.phases[2].name = texts["phase"]
    fault = next(event for event in drill.timeline if event.kind == "fault")
    fault.message = f"injected: {texts['fault']}"  # the prefix keeps it the 'Fault injected' marker
    assert drill.incident is not None
    drill.incident["escalation"]["pages"][1].update(name=texts["person"], error=texts["error"])
    drill.incident["notifications"][1].update(route=texts["route"], detail=texts["sent"])


@settings(max_examples=60, deadline=None)
@given(
    st.fixed_dictionaries(
        {
            "title": texts(80),
            "id": texts(30),
            "command": texts(120),
            "output": lines_under_tail,
            "expected": texts(40),
            "actual": texts(40),
            "provider": texts(60),
            "cause": texts(40),
            "actor": texts(30),
            "message": texts(60),
            "rule": texts(30),
            "source": texts(60),
            "detail": texts(40),
            "entry": texts(30),
            "example": texts(40),
            "phase": texts(20),
            "fault": texts(60),
            "person": texts(30),
            "error": texts(40),
            "route": texts(30),
            "sent": texts(40),
        }
    )
)
def test_any_text_round_trips_and_adds_no_element(texts: dict[str, str]) -> None:
    page = parse(render_html(fuzzed(texts)))
    baseline = parse(render_html(fuzzed({k: skeleton(v) for k, v in texts.items()})))
    assert page.tags == [(name, attrs) for name, attrs in baseline.tags], (
        "a value changed the page's elements or attributes"
    )
    for key, value in texts.items():  # page.texts are unescaped (convert_charrefs=True)
        wanted = value.removesuffix("\n") if key == "output" else value
        assert any(wanted in chunk for chunk in page.texts), key


# -- the four figures, set-up, providers, incident, detection, traffic ---------------------------
def rows(fragment: str) -> list[list[str]]:
    """Each <tr> of ``fragment`` as its cells' text (tags removed, entities decoded)."""
    found = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", fragment, re.S):
        found.append(
            [
                " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split())
                for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
            ]
        )
    return found


def table(page_text: str, caption: str, start: int = 0) -> list[list[str]]:
    """The rows of the first table with ``caption`` found after ``start``."""
    begin = page_text.index(f"<caption>{caption}</caption>", start)
    return rows(page_text[begin : page_text.index("</table>", begin)])


def drill_html(page_text: str, number: int) -> str:
    start = page_text.index(f'id="drill-{number}"')
    return page_text[start : page_text.index("</section>", start)]


def test_summary_table_gives_the_four_figures_of_every_drill() -> None:
    page_text = render(all_drills())
    assert table(page_text, "Incident figures per drill") == [
        [
            "#",
            "Drill",
            "Time to detect",
            "Time to acknowledge",
            "Time to mitigate",
            "Time to resolve",
        ],
        ["1", "db-outage", "4.20 s", "5.00 s", "6.50 s", "—"],
        ["2", "payment-failure", "3.00 s", "—", "—", "—"],
        ["3", "cache-outage", "—", "—", "—", "—"],
    ]
    assert "— means not measured" in page_text
    assert table(page_text, "Incident figures across drills")[1][:3] == [
        "Time to detect",
        "2 of 3",
        "3.60 s",
    ]


def test_setup_and_providers_rows() -> None:
    first = drill_html(render(all_drills()), 1)
    facts = {row[0]: row[1] for row in rows(first[: first.index("</table>")])}
    assert facts["Set-up"] == "Set up in 4.42 s, torn down in 3.06 s"
    assert facts["Providers"].startswith("postgres: using pg_ctl 16.4 at 127.0.0.1:5433")
    assert "toxiproxy: using embedded 2.12.0" in facts["Providers"]
    third = drill_html(render(all_drills()), 3)
    assert "Set-up" not in third and "Providers" not in third


def test_incident_lifecycle_and_timeline() -> None:
    page_text = render(all_drills())
    first, second = drill_html(page_text, 1), drill_html(page_text, 2)
    lifecycle = table(first, "Lifecycle")
    assert lifecycle[0] == ["Status", "Time", "Since detection"]
    assert lifecycle[2] == ["Acknowledged", "2026-05-01 12:00:05.700 UTC", "+500 ms"]
    assert lifecycle[6] == ["Resolved", "2026-05-01 12:00:29.000 UTC", "+23.8 s"]
    assert '<tr class="missed">' not in first
    assert table(second, "Lifecycle")[5:] == [
        ["Mitigation verified", "not reached", "—"],
        ["Resolved", "not reached", "—"],
    ]
    assert second.count('<tr class="missed">') == 2
    timeline = table(first, "Incident timeline")
    assert timeline[0] == ["Time", "Since detection", "Actor", "Kind", "Message"]
    assert timeline[5] == [
        "2026-05-01 12:00:06.200 UTC",
        "+1.00 s",
        "Ada Lovelace",
        "mitigating",
        "failing over to the replica",
    ]
    assert table(first, "Action items")[1] == [
        "alert on replica lag",
        "Grace",
        "P2",
        "2026-05-08",
        "open",
    ]


def test_detection_rules_show_both_windows_and_mark_the_one_that_fired() -> None:
    page_text = render(all_drills())
    first, second = drill_html(page_text, 1), drill_html(page_text, 2)
    lead = re.search(r'<p class="lead">(.*?)</p>', first, re.S)
    assert lead is not None
    assert " ".join(html.unescape(re.sub(r"<[^>]+>", " ", lead.group(1))).split()) == (
        "Fired: db-down (Database down) at 2026-05-01 12:00:05.200 UTC, 4.20 s after the fault "
        "was injected (condition: when fires_when holds)"
    )
    rules = table(first, "Rules")
    assert rules[0][3:5] == ["Window in drill", "Window in production"]
    assert rules[1] == [
        "db-down ◆ fired Database down",
        "probe",
        "GET /api/health/ready when fires_when holds",
        "—",
        "held 30 s",
        "HTTP 503",
        "firing",
    ]
    assert rules[2][3:] == [
        "5 s, held 2 s",
        "5 min, held 1 min",
        "0.0625 (1 / 16)",
        "holding 1 s of 2 s",
    ]
    assert first.count('<tr class="fired">') == 1
    assert "No rule fired." in second and '<tr class="fired">' not in second


def test_traffic_table_shows_totals_and_entries() -> None:
    second = drill_html(render(all_drills()), 2)
    facts = {row[0]: row[1] for row in rows(second[second.index("<h3>Traffic</h3>") :])[:4]}
    assert facts["Load"] == "300 requests over 30.0 s at 10/s (target 10/s)"
    assert facts["Kept up"] == "no: 12 started late (worst lag 350 ms), 2 never sent"
    assert '<td class="flag">no: 12 started late' in second
    assert '<td class="flag">' not in drill_html(render(all_drills()), 1)
    assert facts["Error examples"] == "GET /api/bookings: HTTP 503 (40 times)"
    assert table(second, "Requests and latency") == [
        [
            "Requests to",
            "Weight",
            "Requests",
            "Errors",
            "Error ratio",
            "p50",
            "p95",
            "p99",
            "Max",
            "Statuses",
        ],
        [
            "All",
            "",
            "300",
            "40",
            "13.33%",
            "9.0 ms",
            "40 ms",
            "110 ms",
            "165 ms",
            "200: 160, 201: 100, 503: 40",
        ],
        [
            "GET /api/bookings",
            "2",
            "200",
            "40",
            "20.00%",
            "7.2 ms",
            "41 ms",
            "120 ms",
            "180 ms",
            "200: 160, 503: 40",
        ],
        ["charge", "1", "100", "0", "0.00%", "15 ms", "30 ms", "50 ms", "75 ms", "201: 100"],
    ]


def test_a_drill_without_observations_has_none_of_their_sections() -> None:
    third = drill_html(render(all_drills()), 3)
    for heading in ("<h3>Incident</h3>", "<h3>Detection</h3>", "<h3>Traffic</h3>"):
        assert heading not in third
    assert "<h3>Incident</h3>" in drill_html(render(all_drills()), 1)
