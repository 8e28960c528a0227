"""`drillbook oncall now|at|render|export|path`, run through drillbook.cli.main."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import icalendar
import pytest
from drillbook.cli import main
from drillbook.oncall import Roster

ROOT = Path(__file__).parent.parent
FIXTURE = ROOT / "fixtures" / "oncall.yaml"
F = ["--file", str(FIXTURE)]

Capture = pytest.CaptureFixture[str]


def run(capsys: Capture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_at_names_the_person_their_contacts_and_until_when(capsys: Capture) -> None:
    code, out, _ = run(capsys, "oncall", "at", "2024-04-07T09:00+10:00", *F)
    assert code == 0
    assert out.splitlines() == [
        "on call at 2024-04-06 23:00 UTC:",
        "  primary: Lachlan Brooks (engineer-2) +61 491 570 157, @lachlan.brooks, "
        "lachlan.brooks@holiday-aggregator.com; until Mon 2024-04-08 09:00 AEST "
        "(2024-04-07 23:00 UTC)",
        "  secondary: Grace Okafor (senior-2) +61 491 570 110, @grace.okafor, "
        "grace.okafor@holiday-aggregator.com; until Mon 2024-04-08 09:00 AEST "
        "(2024-04-07 23:00 UTC)",
    ]


def test_at_takes_a_zone_instead_of_an_offset(capsys: Capture) -> None:
    _, out, _ = run(capsys, "oncall", "at", "2024-04-08 09:00 Australia/Sydney", *F)
    assert out.splitlines()[0] == "on call at 2024-04-07 23:00 UTC:"
    assert "primary: Aisha Karim (engineer-3)" in out


def test_now_answers_for_the_present(capsys: Capture) -> None:
    roster = Roster.load(FIXTURE)
    before = roster.on_call("primary", datetime.now(UTC)).person
    _, out, _ = run(capsys, "oncall", "now", "--schedule", "primary", *F)
    after = roster.on_call("primary", datetime.now(UTC)).person
    [header, line] = out.splitlines()
    assert header.startswith("on call at ")
    assert any(
        line.startswith(f"  primary: {roster.person(p).name} ({p})") for p in {before, after}
    )
    assert " UTC)" in line and "until " in line


def test_render_prints_a_table_with_gaps(capsys: Capture, tmp_path: Path) -> None:
    path = tmp_path / "oncall.yaml"
    path.write_text(
        FIXTURE.read_text().replace(
            "        handoffTime: Monday 09:00\n  secondary:",
            "        handoffTime: Monday 09:00\n"
            '        restrictions: [{type: weekly, start: "Monday 09:00", end: "Friday 17:00"}]\n'
            "  secondary:",
        ),
        encoding="utf-8",
    )
    code, out, _ = run(
        capsys,
        "oncall",
        "render",
        "2024-04-05T00:00+11:00",
        "2024-04-09 00:00 Australia/Sydney",
        "--schedule",
        "primary",
        "--file",
        str(path),
    )
    assert code == 0
    lines = [line.split("  ") for line in out.splitlines()]
    cells = [[cell.strip() for cell in line if cell.strip()] for line in lines]
    assert cells == [
        ["primary (Australia/Sydney), 2024-04-04 13:00 UTC to 2024-04-08 14:00 UTC"],
        ["START", "END", "ON CALL", "CONTACT"],
        [
            "Fri 2024-04-05 00:00 AEDT",
            "Fri 2024-04-05 17:00 AEDT",
            "Lachlan Brooks (engineer-2)",
            "+61 491 570 157, @lachlan.brooks, lachlan.brooks@holiday-aggregator.com",
        ],
        ["Fri 2024-04-05 17:00 AEDT", "Mon 2024-04-08 09:00 AEST", "(nobody)"],
        [
            "Mon 2024-04-08 09:00 AEST",
            "Tue 2024-04-09 00:00 AEST",
            "Aisha Karim (engineer-3)",
            "+61 491 570 158, @aisha.karim, aisha.karim@holiday-aggregator.com",
        ],
    ]


def test_export_writes_a_feed(capsys: Capture, tmp_path: Path) -> None:
    out_file = tmp_path / "primary.ics"
    code, out, err = run(
        capsys,
        "oncall",
        "export",
        "--ics",
        "--schedule",
        "primary",
        "--from",
        "2023-12-31T22:00Z",
        "--to",
        "2024-12-29T22:00Z",
        "--out",
        str(out_file),
        *F,
    )
    assert (code, out) == (0, "")
    assert f"wrote {out_file}" in err
    calendar = icalendar.Calendar.from_ical(out_file.read_bytes())
    summaries = sorted(str(event["summary"]) for event in calendar.walk("VEVENT"))
    assert summaries == [
        "On call: Aisha Karim (primary)",
        "On call: Lachlan Brooks (primary)",
        "On call: Mia Chen (primary)",
    ]


def test_export_to_stdout_needs_a_schedule_when_there_are_several(capsys: Capture) -> None:
    code, _, err = run(capsys, "oncall", "export", "--ics", *F)
    assert code == 2
    assert "choose a schedule with --schedule: primary, secondary" in err
    code, out, _ = run(capsys, "oncall", "export", "--ics", "--schedule", "secondary", *F)
    assert code == 0 and out.startswith("BEGIN:VCALENDAR")
    assert "On call: Grace Okafor (secondary)" in out or "On call: Tom Whitfield" in out


def test_path_lists_each_level(capsys: Capture) -> None:
    code, out, _ = run(capsys, "oncall", "path", "payments", "--at", "2024-10-07T08:59+11:00", *F)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == (
        "escalation of payments (policy standard) for an incident at 2024-10-06 21:59 UTC:"
    )
    assert lines[1].startswith("  1. +0 min: Mia Chen (engineer-1) +61 491 570 156")
    assert lines[1].endswith("(via schedule primary)")
    # Monday 09:00 Sydney is the weekly handoff of both schedules: level 1 (08:59) pages the
    # outgoing primary, every later level whoever is on call when that level is paged
    assert lines[2].startswith("  2. +15 min: Tom Whitfield (senior-1)")
    assert lines[3].startswith("  3. +30 min: Lachlan Brooks (engineer-2)")
    assert lines[4].startswith("  4. +45 min: Tom Whitfield (senior-1)") and len(lines) == 5


def test_path_before_a_handoff_pages_the_people_on_call_then(capsys: Capture) -> None:
    code, out, _ = run(capsys, "oncall", "path", "payments", "--at", "2024-10-07T08:00+11:00", *F)
    assert code == 0
    lines = out.splitlines()
    assert lines[2].startswith("  2. +15 min: Grace Okafor (senior-2)")
    assert lines[3].startswith("  3. +30 min: Mia Chen (engineer-1)")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["oncall", "at", "2024-04-07T09:00", *F], "has no offset or zone"),
        (["oncall", "path", "web", *F], "no service `web` in the on-call file"),
        (["oncall", "now", "--schedule", "tertiary", *F], "no schedule `tertiary`"),
        (["oncall", "now", "--file", "/nonexistent/oncall.yaml"], "no such on-call file"),
        (
            ["oncall", "render", "2024-04-09T00:00Z", "2024-04-01T00:00Z", *F],
            "TO must come after FROM",
        ),
    ],
)
def test_mistakes_are_one_line_messages(capsys: Capture, argv: list[str], message: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("drillbook: ") and message in err
    assert "Traceback" not in err


def test_a_broken_file_is_reported_at_its_line(capsys: Capture, tmp_path: Path) -> None:
    path = tmp_path / "oncall.yaml"
    path.write_text(FIXTURE.read_text().replace("[senior-1, senior-2]", "[senior-1, senior-3]"))
    code, _, err = run(capsys, "oncall", "now", "--file", str(path))
    line = path.read_text().splitlines().index("        users: [senior-1, senior-3]") + 1
    assert code == 2
    assert f"{path}:{line}:" in err and "unknown person `senior-3`" in err
