"""The workspace: defaults, [tool.drillbook] settings, DRILLBOOK_HISTORY, and clear errors."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from drillbook.errors import DrillbookError
from drillbook.workspace import Workspace


def test_defaults_without_pyproject(tmp_path: Path) -> None:
    ws = Workspace.discover(tmp_path, environ={})
    assert ws.runbook_dirs == (tmp_path / "runbooks",)
    assert ws.reports == tmp_path / "reports"
    assert ws.history_path == tmp_path / "reports" / "history.sqlite"
    assert ws.kb_index_path == tmp_path / "reports" / "kb.sqlite"
    assert ws.oncall_file is None
    assert ws.stale_after == timedelta(days=30)


def test_settings_and_environment_override(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.pytest.ini_options]\ndrillbook_report_dir = 'out'\n"
        "[tool.drillbook]\npostmortems = 'docs/pm'\noncall = 'team/oncall.yaml'\n"
        "stale_after_days = 7\n",
        encoding="utf-8",
    )
    ws = Workspace.discover(tmp_path, environ={"DRILLBOOK_HISTORY": "/shared/h.sqlite"})
    assert ws.reports == tmp_path / "out"
    assert ws.postmortem_dirs == (tmp_path / "docs" / "pm",)
    assert ws.oncall_file == tmp_path / "team" / "oncall.yaml"
    assert ws.history_path == Path("/shared/h.sqlite")
    assert ws.stale_after == timedelta(days=7)


def test_postmortem_files_include_drafts_under_reports(tmp_path: Path) -> None:
    (tmp_path / "postmortems" / "2026").mkdir(parents=True)
    (tmp_path / "postmortems" / "2026" / "db.md").write_text("# db\n", encoding="utf-8")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "postmortem-INC-1.md").write_text("# x\n", encoding="utf-8")
    (tmp_path / "reports" / "drill-report.md").write_text("# not one\n", encoding="utf-8")
    names = [p.name for p in Workspace.discover(tmp_path, environ={}).postmortem_files()]
    assert names == ["db.md", "postmortem-INC-1.md"]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("histroy = 'x'", "unknown setting(s) histroy"),
        ("stale_after_days = 0", "stale_after_days must be a whole number"),
        ("runbooks = 3", "runbooks must be a path or a list of paths"),
    ],
)
def test_bad_settings_are_named(tmp_path: Path, table: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.drillbook]\n{table}\n", encoding="utf-8")
    with pytest.raises(DrillbookError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Workspace.discover(tmp_path, environ={})
