"""The Markdown report: GitHub tables, and values that can never break out of their cell."""

from __future__ import annotations

import re
from typing import Any

import pytest
from drillbook.report import build_report, render_markdown
from drillbook.report.markdown import fence, md_escape
from hypothesis import given
from hypothesis import strategies as st
from test_report_builders import all_drills, failed_drill, session


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
        ["Time to detect", "4.20 s"],
        ["Time to acknowledge", "5.00 s"],
        ["Time to mitigate", "6.50 s"],
        ["Time to resolve", "— (not measured)"],
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
    timeline = [cells(r) for r in table_after(first, "### Timeline")[2:]]
    assert timeline[1] == [
        "2026-05-01 12:00:05.200 UTC",
        "+5.20 s",
        "detected",
        "alert db-down fired",
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
