"""The Markdown report: GitHub tables, and values that can never break out of their cell."""

from __future__ import annotations

import re
from typing import Any

import pytest
from drillbook.report import build_report, render_markdown
from drillbook.report.markdown import fence, md_escape
from hypothesis import given
from hypothesis import strategies as st
from test_report_builders import (
    all_drills,
    failed_drill,
    passed_drill,
    poison_observations,
    session,
)


def markdown(drills: list[dict[str, Any]] | None = None) -> str:
    data = drills if drills is not None else [d.to_dict() for d in all_drills()]
    return render_markdown(build_report(session(), data))


def table_after(text: str, heading: str) -> list[str]:
    """The rows of the first table after ``heading``."""
    rest = text[text.index(heading) :]
    lines = rest.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def cells(row: str) -> list[str]:
    """A table row's cells, splitting on pipes that are not backslash-escaped."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]


def test_session_summary_and_signoff_tables() -> None:
    text = markdown()
    assert text.startswith("# Drill report — ✘ FAILED\n")
    session_rows = table_after(text, "## Session")
    assert "| Participants | Ada Lovelace (trainee)<br>Grace Hopper (lead) |" in session_rows
    drills = table_after(text, "## Summary")
    assert cells(drills[0]) == ["#", "Drill", "Title", "Runbook", "Severity", "Outcome", "Duration"]
    assert [cells(r)[5] for r in drills[2:]] == ["✔ PASSED", "✘ FAILED", "⚠ ERROR"]
    signoff = table_after(text, "## Sign-off")
    assert cells(signoff[0]) == ["Name", "Role", "Signature", "Date"]
    assert [cells(r) for r in signoff[2:]] == [
        ["Ada Lovelace", "trainee", "", ""],
        ["Grace Hopper", "lead", "", ""],
    ]


def test_signoff_has_blank_rows_when_nobody_was_named() -> None:
    text = render_markdown(build_report(session(participants=[]), []))
    rows = table_after(text, "## Sign-off")[2:]
    assert [cells(r) for r in rows] == [["", "", "", ""], ["", "", "", ""]]


def test_drill_tables_show_metrics_phases_and_timeline() -> None:
    text = markdown()
    first = text[text.index("## 1. ✔ PASSED") : text.index("## 2. ")]
    metrics = [cells(r) for r in table_after(first, "### Metrics")[2:]]
    assert metrics == [
        ["Time to detect", "4.20 s", "fault injected → incident detected"],
        ["Time to acknowledge", "5.00 s", "incident detected → acknowledged"],
        ["Time to mitigate", "6.50 s", "fault injected → mitigation verified"],
        ["Time to resolve", "— (not measured)", "fault injected → incident resolved"],
    ]
    phases = [cells(r) for r in table_after(first, "### Phases")[2:]]
    assert [p[0] for p in phases] == [
        "steady\\_state",
        "inject",
        "detect",
        "respond",
        "verify",
        "recover",
    ]
    assert phases[2] == ["detect", "✔ PASSED", "4.20 s", "alert db-down fired"]
    assert phases[5] == ["recover", "✔ PASSED", "21.0 s", ""]
    timeline = [cells(r) for r in table_after(first, "### Timeline")[2:]]
    assert timeline[2] == [
        "2026-05-01 12:00:05.400 UTC",
        "+5.40 s",
        "detection",
        "rule db-down fired 4.20 s after the fault",
    ]


def test_failure_section_names_phase_action_mismatches_and_faults() -> None:
    text = markdown([failed_drill().to_dict()])
    failure = text[text.index("### ✘ Why it failed") : text.index("### Metrics")]
    rows = [cells(r) for r in table_after(failure, "### ✘ Why it failed")[2:]]
    assert rows[0] == ["Phase", "verify"]
    assert rows[2] == ["Faults still active", "http-500 on stripe (toxic stripe\\_500)"]
    assert "**1. check orders API answers** — ✘ FAILED — **failing action**" in failure
    mismatch_rows = [cells(r) for r in table_after(failure, "| What | Expected | Actual |")[2:]]
    assert mismatch_rows[1] == ["json status", "'ok'", "'degraded \\| down'"]
    assert "```console\ncurl -s $APP_URL/orders | jq .status\n```" in failure
    assert "<details><summary>stdout (last 40 of 100 lines)</summary>" in failure
    assert "line 100\n```" in failure and "line 60\n" not in failure


def test_pipes_in_values_stay_inside_their_cell() -> None:
    drill = failed_drill()
    drill.title = "a | b || c"
    drill.phases[0].message = "one|two\nthree"
    text = markdown([drill.to_dict()])
    row = next(r for r in table_after(text, "## Summary")[2:])
    assert cells(row)[2] == "a \\| b \\|\\| c"
    phase_row = table_after(text, "### Phases")[2]
    assert cells(phase_row) == ["steady\\_state", "✔ PASSED", "1.00 s", "one\\|two<br>three"]


def test_backticks_and_html_in_values_are_escaped() -> None:
    drill = failed_drill()
    drill.title = "`rm -rf` <script>alert(1)</script> [x](javascript:y) *bold* &amp;"
    text = markdown([drill.to_dict()])
    assert "<script>" not in text
    assert (
        "\\`rm -rf\\` \\<script\\>alert(1)\\</script\\> \\[x\\](javascript:y) \\*bold\\* \\&amp;"
        in text
    )


def test_fences_are_longer_than_any_backtick_run() -> None:
    assert fence("plain") == "```text\nplain\n```"
    block = fence("a ```` b\n```\n", info="console")
    assert block.startswith("`````console\n") and block.endswith("\n`````")


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("a|b", "a\\|b"),
        ("x\r\ny", "x<br>y"),
        ("$HOME", "\\$HOME"),
        ("back\\slash", "back\\\\slash"),
        (None, ""),
        (7, "7"),
    ],
)
def test_md_escape(value: object, escaped: str) -> None:
    assert md_escape(value) == escaped


UNESCAPE = re.compile(r"\\(.)")


@given(st.text())
def test_escaped_text_is_one_line_with_no_bare_markdown(text: str) -> None:
    escaped = md_escape(text)
    assert "\n" not in escaped and "\r" not in escaped
    bare = UNESCAPE.sub("", escaped.replace("<br>", ""))  # what is left unescaped
    assert not re.search(r"[|`<>*_\[\]\\~&$]", bare)
    restored = UNESCAPE.sub(r"\1", escaped.replace("<br>", "\n"))
    assert restored == text.replace("\r\n", "\n").replace("\r", "\n")


# -- the four figures, set-up, providers, incident, detection, traffic ---------------------------
def drill_section(text: str, number: int) -> str:
    start = text.index(f"## {number}. ")
    end = text.find(f"## {number + 1}. ", start)
    return text[start : end if end != -1 else text.index("## Sign-off")]


def rows_after(text: str, heading: str) -> list[list[str]]:
    """The body rows (header and rule left out) of the first table after ``heading``."""
    return [cells(r) for r in table_after(text, heading)[2:]]


def test_summary_gives_the_four_figures_of_every_drill() -> None:
    text = markdown()
    header = table_after(text, "### Incident figures")[0]
    assert cells(header) == [
        "#",
        "Drill",
        "Time to detect",
        "Time to acknowledge",
        "Time to mitigate",
        "Time to resolve",
    ]
    assert rows_after(text, "### Incident figures") == [
        ["1", "db-outage", "4.20 s", "5.00 s", "6.50 s", "—"],
        ["2", "payment-failure", "3.00 s", "—", "—", "—"],
        ["3", "cache-outage", "—", "—", "—", "—"],
    ]
    assert "— means not measured" in text
    across = rows_after(text, "| Across drills |")
    assert across[0] == ["Time to detect", "2 of 3", "3.60 s", "3.00 s", "4.20 s"]


def test_subsecond_figures_read_in_milliseconds() -> None:
    drill = passed_drill()
    drill.metrics = {"time_to_detect": 0.467, "time_to_acknowledge": 0.0026}
    text = markdown([drill.to_dict()])
    assert rows_after(text, "### Incident figures")[0][2:] == ["467 ms", "2.6 ms", "—", "—"]


def test_setup_and_providers_lines() -> None:
    text = markdown()
    first, second, third = (drill_section(text, n) for n in (1, 2, 3))
    facts = dict((row[0], row[1]) for row in rows_after(first, "## 1. "))
    assert facts["Set-up"] == "Set up in 4.42 s, torn down in 3.06 s"
    assert facts["Providers"] == (
        "postgres: using pg\\_ctl 16.4 at 127.0.0.1:5433 (given-url: not set; docker: no engine)"
        "<br>toxiproxy: using embedded 2.12.0 at 127.0.0.1:8474 (toxiproxy-server: not on PATH)"
    )
    assert "| Set-up | Set up in 2.50 s |" in second
    assert "| Set-up |" not in third and "| Providers |" not in third


def test_incident_section_shows_lifecycle_since_detection_and_actors() -> None:
    first = drill_section(markdown(), 1)
    facts = dict((row[0], row[1]) for row in rows_after(first, "### Incident"))
    assert facts["Incident"] == "INC-20260501-0A1B2C — Primary database unreachable"
    assert (facts["Severity"], facts["Status"]) == ("P1", "resolved")
    assert facts["Responders"] == "Ada Lovelace (incident commander, ada@example.org)"
    assert facts["Root cause"] == "primary lost its network"
    assert rows_after(first, "#### Lifecycle") == [
        ["Detected", "2026-05-01 12:00:05.200 UTC", "+0 s"],
        ["Acknowledged", "2026-05-01 12:00:05.700 UTC", "+500 ms"],
        ["Investigating", "2026-05-01 12:00:06.000 UTC", "+800 ms"],
        ["Mitigating", "2026-05-01 12:00:06.200 UTC", "+1.00 s"],
        ["Mitigation verified", "2026-05-01 12:00:07.500 UTC", "+2.30 s"],
        ["Resolved", "2026-05-01 12:00:29.000 UTC", "+23.8 s"],
    ]
    timeline = rows_after(first, "#### Incident timeline")
    assert timeline[3] == [
        "2026-05-01 12:00:06.000 UTC",
        "+800 ms",
        "Ada Lovelace",
        "investigating",
        "investigation started",
    ]
    assert [row[2] for row in timeline].count("drillbook") == 5
    assert rows_after(first, "#### Action items") == [
        ["alert on replica lag", "Grace", "P2", "2026-05-08", "open"]
    ]


def test_an_open_incident_shows_the_states_it_never_reached() -> None:
    second = drill_section(markdown(), 2)
    lifecycle = rows_after(second, "#### Lifecycle")
    assert lifecycle[3] == ["Mitigating", "2026-05-01 12:00:16.200 UTC", "+1.00 s"]
    assert lifecycle[4:] == [
        ["Mitigation verified", "not reached", "—"],
        ["Resolved", "not reached", "—"],
    ]
    assert "| Status | mitigating |" in second
    assert "| Root cause | not recorded |" in second
    assert "#### Action items" not in second


def test_detection_section_shows_the_rule_that_fired_and_both_windows() -> None:
    first = drill_section(markdown(), 1)
    assert (
        "**Fired:** db-down (Database down) at 2026-05-01 12:00:05.200 UTC, 4.20 s after the "
        "fault was injected (condition: when fires\\_when holds)." in first
    )
    header, _, *rules = table_after(first, "### Detection")
    assert cells(header) == [
        "Rule",
        "Kind",
        "Condition",
        "Window in drill",
        "Window in production",
        "Last value",
        "State",
    ]
    probe, ratio = (cells(r) for r in rules)
    assert probe == [
        "**db-down** (fired)<br>Database down",
        "probe",
        "GET /api/health/ready when fires\\_when holds",
        "—",
        "held 30 s",
        "HTTP 503",
        "firing",
    ]
    assert ratio[0] == "high-error-rate<br>High error rate"
    assert ratio[2].endswith("rate(http\\_requests\\_total\\[5 s\\]) above 0.05")
    assert ratio[3:] == [
        "5 s, held 2 s",
        "5 min, held 1 min",
        "0.0625 (1 / 16)",
        "holding 1 s of 2 s",
    ]
    assert "Last values as of 2026-05-01 12:00:05.200 UTC." in first


def test_detection_section_says_when_no_rule_fired() -> None:
    second = drill_section(markdown(), 2)
    assert "**No rule fired.**" in second
    assert "(fired)" not in second


def test_traffic_section_shows_load_errors_percentiles_and_entries() -> None:
    second = drill_section(markdown(), 2)
    facts = dict((row[0], row[1]) for row in rows_after(second, "### Traffic"))
    assert facts["Load"] == "300 requests over 30.0 s at 10/s (target 10/s)"
    assert facts["Kept up"] == "no: 12 started late (worst lag 350 ms), 2 never sent"
    assert facts["Error examples"] == "GET /api/bookings: HTTP 503 (40 times)"
    table = table_after(second, "| Requests to |")
    assert cells(table[0])[4:8] == ["Error ratio", "p50", "p95", "p99"]
    assert [cells(r) for r in table[2:]] == [
        [
            "**All**",
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
    assert "| Kept up | yes (worst lag 8.5 ms) |" in drill_section(markdown(), 1)


def test_reports_written_before_these_fields_existed_still_render() -> None:
    old = passed_drill().to_dict()
    for key in ("providers", "timings", "incident", "detection", "traffic"):
        del old[key]
    text = markdown([old])
    for heading in (
        "### Incident\n",
        "### Detection",
        "### Traffic",
        "| Set-up |",
        "| Providers |",
    ):
        assert heading not in text
    assert rows_after(text, "### Incident figures") == [
        ["1", "db-outage", "4.20 s", "5.00 s", "6.50 s", "—"]
    ]


HOSTILE = "`x` <script>alert(1)</script> | [a](javascript:b) *c* _d_ &amp; $E"
HOSTILE_SHOWN = (
    "\\`x\\` \\<script\\>alert(1)\\</script\\> \\| \\[a\\](javascript:b) "
    "\\*c\\* \\_d\\_ \\&amp; \\$E"
)


def hostile_drill(text: str) -> dict[str, Any]:
    """The passed drill with ``text`` in every free-text field of the new sections."""
    return poison_observations(passed_drill(), text).to_dict()


def test_hostile_text_in_the_new_sections_is_escaped_everywhere() -> None:
    text = markdown([hostile_drill(HOSTILE)])
    assert "<script>" not in text and "</script>" not in text
    section = text[text.index("### Incident\n") : text.index("### Phases")]
    # incident: 7 rows showing 10 values, 8 timeline events x 3, 4 action item fields;
    # detection: 3 in the fired line, 2 rules x (rule, name, kind, source, threshold, error);
    # traffic: 1 error example, 3 statuses, 2 entry names;
    # escalation: 2 pages x (person, target, error) and who acknowledged;
    # notifications: 5 x (channel, event, route, detail)
    assert section.count(HOSTILE_SHOWN) == (
        (10 + 24 + 4) + (3 + 12) + (1 + 3 + 2) + (6 + 1) + 5 * 4
    )
    first = drill_section(text, 1)
    assert f"| Providers | {HOSTILE_SHOWN} |" in first
    timing = md_escape(HOSTILE.replace("_", " "))  # a timing's name reads with spaces
    assert f"| Set-up | {timing[:1].upper()}{timing[1:]} 1.00 s |" in first


# Any text in the new sections keeps every table whole: each row as many cells as its header.
FIELD_TEXT = st.text(
    alphabet=st.sampled_from(list("ab |\\`*_<>[]&$~\n\r#-:")), max_size=30
) | st.sampled_from(["|", "\\|", "\n|", "`|`", "<br>", "| --- |", "\\"])


def tables(text: str) -> list[list[str]]:
    found: list[list[str]] = []
    current: list[str] = []
    for line in text.split("\n"):
        if line.startswith("|"):
            current.append(line)
        elif current:
            found.append(current)
            current = []
    return found


@given(FIELD_TEXT)
def test_any_text_in_the_new_sections_keeps_every_table_whole(text: str) -> None:
    rendered = markdown([hostile_drill(text)])
    for table in tables(rendered):
        width = len(cells(table[0]))
        assert all(len(cells(row)) == width for row in table), table
        assert all(row.endswith("|") for row in table)
