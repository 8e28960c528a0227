"""The dashboard's sign-off page: which drill sessions their participants signed, which wait,
which changed after signing; and ``drillbook signoff``/``verify`` on the latest report signing
and checking the session's own copy under reports/runs/ (the next session replaces the latest).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from drillbook.cli import main
from drillbook.dashboard.data import gather
from drillbook.dashboard.render import render_pages
from drillbook.report.writer import write_reports
from drillbook.signoff import sessions as sessions_module
from drillbook.signoff.sessions import read_signoffs
from drillbook.workspace import Workspace
from test_dashboard_site import site_problems
from test_dashboard_support import NOW, check_page, report

PEOPLE = [{"name": "Ada Lovelace", "role": "trainee"}, {"name": "Grace Hopper", "role": "lead"}]


def session(reports: Path, run_id: str, hours_ago: int, people: list[dict[str, str]]) -> Path:
    """Write a session's reports as the pytest plugin does: the latest and the run's copy.
    Returns the copy's HTML."""
    data: dict[str, Any] = report(run_id, NOW - timedelta(hours=hours_ago), [])
    data["session"]["participants"] = people
    data["summary"] = {"total": 3, "passed": 2}
    write_reports(reports, data)
    return write_reports(reports / "runs", data, basename=f"drill-report-{run_id}").html


def sign(report: Path, name: str, role: str) -> None:
    assert main(["signoff", str(report), "--by", name, "--role", role]) == 0


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    return tmp_path / "team" / "reports"


def test_each_session_says_who_signed_and_who_is_still_awaited(reports: Path) -> None:
    both = session(reports, "20261101T090000Z-aaaaaa", 50, PEOPLE)
    sign(both, "Ada Lovelace", "trainee")
    sign(both.with_suffix(".md"), "Grace Hopper", "lead")  # any of the three formats counts
    half = session(reports, "20261102T090000Z-bbbbbb", 40, PEOPLE)
    sign(half, "Ada Lovelace", "trainee")
    changed = session(reports, "20261103T090000Z-cccccc", 30, PEOPLE[:1])
    sign(changed, "Ada Lovelace", "trainee")
    changed.write_text(changed.read_text() + "<!-- edited -->", encoding="utf-8")
    session(reports, "20261104T090000Z-dddddd", 20, [])

    found = {s.run_id[-6:]: s for s in read_signoffs(reports).sessions}

    assert [s.run_id[-6:] for s in read_signoffs(reports).sessions] == [
        "dddddd", "cccccc", "bbbbbb", "aaaaaa",
    ]  # fmt: skip
    assert found["aaaaaa"].status == "signed" and found["aaaaaa"].waiting_for == []
    assert [s.name for s in found["aaaaaa"].signatures] == ["Ada Lovelace", "Grace Hopper"]
    assert found["bbbbbb"].status == "awaiting sign-off"
    assert found["bbbbbb"].waiting_for == ["Grace Hopper (lead)"]
    assert found["cccccc"].status == "changed after signing"
    assert found["cccccc"].waiting_for == ["Ada Lovelace (trainee)"]
    assert found["dddddd"].status == "not signed" and not found["dddddd"].needs_attention
    assert found["aaaaaa"].passed == 2 and found["aaaaaa"].total == 3
    assert found["aaaaaa"].report == both


def test_only_the_newest_sessions_are_read(reports: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for number in range(5):
        session(reports, f"20261101T0{number}0000Z-aaaaaa", 10 - number, PEOPLE)
    read: list[str] = []
    original = sessions_module._session_fields

    def counting(json_copy: Path, problems: list[str]) -> dict[str, Any]:
        read.append(json_copy.name)
        return original(json_copy, problems)

    monkeypatch.setattr(sessions_module, "_session_fields", counting)
    signoffs = read_signoffs(reports, shown=2)
    assert len(read) == 2  # the older sessions are counted, not opened
    assert [s.run_id[:11] for s in signoffs.sessions] == ["20261101T04", "20261101T03"]
    assert signoffs.older == 3


def test_signing_the_latest_report_signs_the_sessions_copy(
    reports: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = session(reports, "20261101T090000Z-aaaaaa", 5, PEOPLE)
    latest = reports / "drill-report.html"

    sign(latest, "Ada Lovelace", "trainee")

    assert "the session's own copy" in capsys.readouterr().out
    assert (copy.parent / (copy.name + ".signoff.json")).exists()
    assert not (reports / "drill-report.html.signoff.json").exists()
    assert main(["verify", str(latest)]) == 0
    assert "✔ unchanged since signed by Ada Lovelace" in capsys.readouterr().out

    session(reports, "20261102T090000Z-bbbbbb", 1, PEOPLE)  # the next session replaces latest

    assert main(["verify", str(latest)]) == 2  # the new session's copy is not signed yet
    assert main(["verify", str(copy)]) == 0  # the first one's signature stands
    assert read_signoffs(reports).sessions[1].status == "awaiting sign-off"


def test_a_signature_of_the_latest_report_itself_stays_with_its_session(reports: Path) -> None:
    """Sign-off files written beside the latest report (before signoff moved to the copies)
    are matched to the session whose copy has the bytes that were signed."""
    copy = session(reports, "20261101T090000Z-aaaaaa", 5, PEOPLE[:1])
    latest = reports / "drill-report.html"
    (copy.parent / "elsewhere").mkdir()
    moved = copy.parent / "elsewhere" / copy.name
    copy.rename(moved)  # no copy: signoff signs the latest itself
    sign(latest, "Ada Lovelace", "trainee")
    moved.rename(copy)
    session(reports, "20261102T090000Z-bbbbbb", 1, PEOPLE[:1])

    first, second = read_signoffs(reports).sessions[::-1]

    assert first.status == "signed" and first.signatures[0].file == latest
    assert second.status == "awaiting sign-off" and second.signatures == ()


def test_an_unreadable_signoff_file_is_a_note_on_its_session(reports: Path) -> None:
    copy = session(reports, "20261101T090000Z-aaaaaa", 5, PEOPLE)
    (copy.parent / (copy.name + ".signoff.json")).write_text("{not json", encoding="utf-8")
    (only,) = read_signoffs(reports).sessions
    assert len(only.problems) == 1
    assert "drill-report-20261101T090000Z-aaaaaa.html" in only.problems[0]
    assert ":1:" in only.problems[0]  # file:line:column, as every load error
    assert only.status == "awaiting sign-off"


def test_the_page_and_the_overview_show_it(reports: Path) -> None:
    half = session(reports, "20261102T090000Z-bbbbbb", 40, PEOPLE)
    sign(half, "Ada Lovelace", "trainee")
    changed = session(reports, "20261101T090000Z-cccccc", 50, [])
    sign(changed, "Grace Hopper", "lead")
    changed.write_text(changed.read_text() + "<!-- edited -->", encoding="utf-8")
    files = render_pages(gather(Workspace.discover(reports.parent, environ={}), now=NOW))

    assert site_problems(files) == []
    page = " ".join(check_page(files["signoff.html"]).text)
    assert "awaiting sign-off" in page and "waiting for Grace Hopper (lead)" in page
    assert "reports/runs/drill-report-20261102T090000Z-bbbbbb.html" in page
    command = "drillbook signoff reports/runs/drill-report-20261102T090000Z-bbbbbb.html --by NAME"
    assert command in page  # what the awaited participant runs
    assert "changed after signing" in page
    assert "drillbook verify reports/runs/drill-report-20261101T090000Z-cccccc.html" in page
    index = " ".join("".join(check_page(files["index.html"]).text).split())
    assert "2 drill sessions awaiting sign-off" in index


def test_no_sessions_is_an_empty_state(tmp_path: Path) -> None:
    files = render_pages(gather(Workspace.discover(tmp_path, environ={}), now=NOW))
    assert "No drill session reports under reports/runs yet" in files["signoff.html"]


def test_signing_says_who_of_the_session_is_still_awaited(
    reports: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session(reports, "20261101T090000Z-aaaaaa", 5, PEOPLE)
    latest = reports / "drill-report.md"

    sign(latest, "Ada Lovelace", "trainee")
    assert "still awaited for this session: Grace Hopper (lead)" in capsys.readouterr().out

    sign(latest, "Linus", "observer")
    said = capsys.readouterr()
    assert "note: Linus is not among the report's participants" in said.err
    assert "still awaited for this session: Grace Hopper (lead)" in said.out

    sign(reports / "drill-report.html", "Grace Hopper", "lead")
    assert "every participant of this session has signed" in capsys.readouterr().out
