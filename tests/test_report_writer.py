"""Writing a report as .json, .md and .html, each atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from drillbook.report import build_report, write_reports
from drillbook.report.atomic import write_text_atomic
from test_report_builders import all_drills, session


def test_writes_three_files_next_to_each_other(tmp_path: Path) -> None:
    report = build_report(session(), [d.to_dict() for d in all_drills()])
    paths = write_reports(tmp_path / "reports", report)
    assert paths.json == tmp_path / "reports" / "drill-report.json"
    assert paths.markdown == tmp_path / "reports" / "drill-report.md"
    assert paths.html == tmp_path / "reports" / "drill-report.html"
    assert json.loads(paths.json.read_text(encoding="utf-8")) == report
    assert paths.markdown.read_text(encoding="utf-8").startswith("# Drill report")
    assert paths.html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in paths.json.parent.iterdir()) == [
        "drill-report.html",
        "drill-report.json",
        "drill-report.md",
    ]


def test_basename_and_rewrite(tmp_path: Path) -> None:
    first = build_report(session(), [all_drills()[0].to_dict()])
    second = build_report(session(), [d.to_dict() for d in all_drills()])
    write_reports(tmp_path, first, basename="nightly")
    paths = write_reports(tmp_path, second, basename="nightly")
    assert paths.html.name == "nightly.html"
    assert json.loads(paths.json.read_text(encoding="utf-8"))["summary"]["total"] == 3
    assert len(list(tmp_path.iterdir())) == 3


@pytest.mark.parametrize("basename", ["", "../up", "a/b", ".hidden"])
def test_basename_must_be_a_plain_name(tmp_path: Path, basename: str) -> None:
    with pytest.raises(ValueError, match="plain file name"):
        write_reports(tmp_path, build_report(session(), []), basename=basename)
    assert list(tmp_path.iterdir()) == []


def test_a_report_that_cannot_be_rendered_writes_nothing(tmp_path: Path) -> None:
    report = build_report(session(), [])
    report["unserialisable"] = object()
    with pytest.raises(TypeError):
        write_reports(tmp_path, report)
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_replaces_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    target.write_text("old")
    inode_before = target.stat().st_ino
    write_text_atomic(target, "new ✔")
    assert target.read_text(encoding="utf-8") == "new ✔"
    assert target.stat().st_ino != inode_before  # a new file moved in, not rewritten in place
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_failed_atomic_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    target.write_text("old")
    with pytest.raises(UnicodeEncodeError):
        write_text_atomic(target, "half \udc80 broken")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_atomic_write_respects_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        path = write_text_atomic(tmp_path / "r.md", "x")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o640
