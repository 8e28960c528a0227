"""``drillbook postmortem check``: prompts left, prompts cleared without an answer, sections
missing or empty, action items without an owner or a due date; each at its FILE:LINE:COL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from drillbook.cli import main
from drillbook.postmortem import check_postmortem
from test_postmortem_draft import drill_result, render_drill

MARKER = re.compile(r"<!-- prompt: ([a-z0-9-]+) -->_\[to fill: [^\]]*\]_")
COMPLETE_ROW = "| Alert on replica lag | Grace Hopper | 2026-06-01 | P1 |"


def draft() -> str:
    return render_drill(drill_result())


def line_of(text: str, fragment: str) -> int:
    """The 1-based line holding ``fragment`` (which must occur once)."""
    hits = [number for number, line in enumerate(text.split("\n"), 1) if fragment in line]
    assert len(hits) == 1, f"{fragment!r} on lines {hits}"
    return hits[0]


def completed(action_rows: list[str] | None = None) -> str:
    """The draft as the team finishes it: every prompt answered, the action items listed."""
    text = draft()
    empty_row = next(line for line in text.split("\n") if "prompt: action" in line)
    text = text.replace(empty_row, "\n".join(action_rows or [COMPLETE_ROW]))
    return MARKER.sub(lambda m: f"our answer for {m.group(1)}", text)


def messages(text: str) -> list[tuple[int, int, str]]:
    return [(f.line, f.column, f.message) for f in check_postmortem(text)]


def test_a_completed_postmortem_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = completed()
    assert check_postmortem(text) == []
    path = tmp_path / "pm.md"
    path.write_text(text)
    assert main(["postmortem", "check", str(path)]) == 0
    assert f"{path}: complete" in capsys.readouterr().out


def test_every_prompt_left_is_reported_at_its_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = draft()
    path = tmp_path / "pm.md"
    path.write_text(text)
    assert main(["postmortem", "check", str(path)]) == 1
    lines = text.split("\n")
    reported = set()
    for output in capsys.readouterr().out.splitlines():
        match = re.fullmatch(rf"{re.escape(str(path))}:(\d+):(\d+): (.*)", output)
        assert match, output
        number, column, message = int(match[1]), int(match[2]), match[3]
        if message.startswith("prompt left unfilled"):
            assert lines[number - 1][column - 1 :].startswith("<!-- prompt: ")
            reported.add((number, column))
    expected = {
        (number, match.start() + 1)
        for number, line in enumerate(lines, 1)
        for match in MARKER.finditer(line)
    }
    assert reported == expected
    assert len(expected) == 19


def test_the_message_names_the_section_and_what_to_write() -> None:
    text = draft()
    impact = line_of(text, "prompt: impact")
    assert (
        impact,
        15,
        "prompt left unfilled in 'Incident Summary': user-facing impact description [impact]",
    ) in messages(text)


def test_action_items_need_an_owner_and_a_date(tmp_path: Path) -> None:
    rows = [
        COMPLETE_ROW,
        "|  |  |  |  |",
        "| Rehearse the failover |  | 2026-06-10 | P2 |",
        "| Write the cache runbook | TBD | next week | P2 |",
        "| Page the DBA sooner | Ada | | P5 |",
        r"| Escape \| in cells | Ada | 2026-02-30 | **P3** |",
        "| Review alerts | [Person] | [Date] | P1 |",
        "| Retire the old primary | Ada | 2026-07-01 |",
    ]
    text = completed(rows)
    lines = text.split("\n")

    def at(fragment: str, cell: str | None = None) -> tuple[int, int | None]:
        """The line of the row holding ``fragment`` and the column of its ``cell``."""
        number = line_of(text, fragment)
        return number, (lines[number - 1].index(cell) + 1 if cell else None)

    def no_owner(action: str) -> str:
        return f"action item '{action}' has no owner: name the person who will do it"

    def no_date(action: str) -> str:
        return f"action item '{action}' has no due date: add one as YYYY-MM-DD"

    def not_a_date(action: str, value: str) -> str:
        return f"action item '{action}' has due date '{value}': write it as YYYY-MM-DD"

    expected = [
        (*at("Rehearse"), no_owner("Rehearse the failover")),
        (*at("cache runbook", "TBD"), no_owner("Write the cache runbook")),
        (*at("cache runbook", "next week"), not_a_date("Write the cache runbook", "next week")),
        (*at("DBA sooner"), no_date("Page the DBA sooner")),
        (
            *at("DBA sooner", "P5"),
            "action item 'Page the DBA sooner' has priority 'P5': use one of P1, P2, P3",
        ),
        (*at("Escape", "2026-02-30"), not_a_date("Escape \\| in cells", "2026-02-30")),
        (*at("Review alerts", "[Person]"), no_owner("Review alerts")),
        (*at("Review alerts", "[Date]"), no_date("Review alerts")),
    ]
    found = messages(text)
    assert [(line, message) for line, _, message in found] == [
        (line, message) for line, _, message in expected
    ]
    for (_, column, _), (_, wanted, _) in zip(found, expected, strict=True):
        assert wanted is None or column == wanted


def test_a_prompt_cleared_without_an_answer_is_still_a_gap() -> None:
    text = completed()
    text = text.replace(
        "- **Impact**: our answer for impact", "- **Impact**: <!-- prompt: impact -->"
    )
    text = text.replace("- our answer for got-lucky", "- <!-- prompt: got-lucky -->")
    impact, lucky = line_of(text, "prompt: impact"), line_of(text, "prompt: got-lucky")
    assert messages(text) == [
        (
            impact,
            15,
            "prompt [impact] in 'Incident Summary' was cleared but nothing was "
            "written in its place",
        ),
        (
            lucky,
            3,
            "prompt [got-lucky] in 'Where We Got Lucky' was cleared but nothing was "
            "written in its place",
        ),
    ]


def test_a_prompt_comment_left_above_the_answer_is_fine() -> None:
    text = completed().replace(
        "our answer for what-happened", "<!-- prompt: what-happened -->\nThe primary went away."
    )
    assert check_postmortem(text) == []


def test_missing_and_empty_sections_are_named() -> None:
    text = completed()
    text = text.replace("## Where We Got Lucky\n- our answer for got-lucky\n\n", "")
    text = text.replace("- our answer for lessons", "<!-- nothing yet -->")
    improved, lessons = line_of(text, "## What Could Be Improved?"), line_of(text, "## Lessons")
    assert messages(text) == [
        (
            improved,
            1,
            "section '## Where We Got Lucky' is missing: add it back "
            "(docs/postmortem-template.md has them all)",
        ),
        (lessons, 1, "section 'Lessons Learned' is empty: write something, even 'None'"),
    ]


def test_code_fences_are_not_read_as_structure() -> None:
    pasted = "\n".join(
        ["```console", "# not a heading", "| not | a | table |", "_[to fill: not a prompt]_", "```"]
    )
    text = completed().replace("our answer for what-happened", f"The log:\n\n{pasted}")
    assert check_postmortem(text) == []
    unclosed = completed().replace("## Lessons Learned", "````\n## Lessons Learned")
    assert any("section '## Lessons Learned' is missing" in m for *_, m in messages(unclosed))


def test_a_missing_title_or_action_table_is_reported() -> None:
    text = completed().replace("# Incident Post-Mortem: INC-20260501-0A1B2C\n", "")
    assert (1, 1, "the title '# Incident Post-Mortem: INCIDENT-ID' is missing") in messages(text)
    renamed = completed().replace("| Action | Owner |", "| Action | Who |")
    header = line_of(renamed, "| Action | Who |")
    assert messages(renamed) == [(header, 1, "the action items table has no 'Owner' column")]
    table = re.compile(r"(## Action Items\n)(\|.*\n)+")
    gone = table.sub(lambda m: m.group(1) + "None this time.\n", completed())
    assert messages(gone) == [
        (
            line_of(gone, "## Action Items"),
            1,
            "'## Action Items' has no table: add one like | Action | Owner | Due Date | Priority |",
        )
    ]


def test_unreadable_files_exit_2_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["postmortem", "check", str(tmp_path / "nope.md")]) == 2
    err = capsys.readouterr().err
    assert "nope.md: no such file" in err
    assert "Traceback" not in err
