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
from test_report_builders import all_drills, error_drill, failed_drill, passed_drill, session

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
    people = [Participant(texts["title"], texts["id"] or "role")]
    return build_report(session(people), [drill.to_dict(), passed_drill().to_dict()])


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
