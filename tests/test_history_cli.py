"""``drillbook history import|list|rebuild`` through ``drillbook.cli.main``."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from drillbook.cli import main
from drillbook.history import HistoryStore
from drillbook.history.schema import SCHEMA_VERSION
from test_history_records import incident_timeline, session_report
from test_history_store import expected_runs, stored_runs, write_reports


def test_import_takes_reports_and_timelines_by_content(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    made = [session_report("elsewhere-1"), session_report("elsewhere-2", shift=60)]
    files = []
    for number, report in enumerate(made):
        files.append(tmp_path / f"ci-{number}.json")
        files[-1].write_text(json.dumps(report))
    files.append(tmp_path / "incident.json")
    files[-1].write_text(json.dumps(incident_timeline()))
    store = tmp_path / "h.sqlite"
    argv = ["history", "import", *map(str, files), "--history", str(store), "--root", str(tmp_path)]
    assert main(argv) == 0
    assert "imported 3 file(s)" in capsys.readouterr().out
    assert main(argv) == 0, "importing again is harmless"
    assert "0 new drill run(s), 0 new incident(s)" in capsys.readouterr().out
    with HistoryStore.open(store) as opened:
        assert stored_runs(opened) == expected_runs(made)
        assert {i.source for i in opened.incidents()} == {"drill", "run"}


def test_import_names_each_file_it_could_not_import_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(session_report("good")))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    other = tmp_path / "other.json"
    other.write_text('{"hello": "world"}')
    missing = tmp_path / "missing.json"
    store = tmp_path / "h.sqlite"
    files = [str(broken), str(good), str(other), str(missing)]
    code = main(["history", "import", *files, "--history", str(store), "--root", str(tmp_path)])
    assert code == 1
    err = capsys.readouterr().err
    assert f"{broken}: not valid JSON (line 1, column 2" in err
    assert f"{other}: neither a drill report" in err
    assert f"{missing}: cannot read it: No such file or directory" in err
    assert "Traceback" not in err
    with HistoryStore.open(store) as opened:
        assert {run.run_id for run in opened.drill_runs()} == {"good"}


def test_list_shows_the_latest_runs_newest_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_reports(tmp_path / "reports", 3)
    assert main(["history", "list", "--root", str(tmp_path), "--drill", "db-outage"]) == 0
    out = capsys.readouterr()
    assert "did not exist; built it" in out.err, "the default store is built from the reports"
    lines = out.out.splitlines()
    assert lines[0].split() == ["When", "(UTC)", "Drill", "Outcome", "TTD", "TTM"]
    rows = [line.split() for line in lines[2:]]
    assert [row[2] for row in rows] == ["db-outage"] * 3
    assert [row[0] + row[1] for row in rows] == sorted((r[0] + r[1] for r in rows), reverse=True)
    assert rows[0][3:] == ["passed", "4.20", "s", "6.50", "s"]
    assert main(["history", "list", "--root", str(tmp_path), "--limit", "2"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2 + 2
    assert main(["history", "list", "--root", str(tmp_path), "--drill", "nope"]) == 0
    assert "no drill runs of drill 'nope'" in capsys.readouterr().out


def test_rebuild_from_the_reports_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    made = write_reports(tmp_path / "reports", 2)
    store = tmp_path / "elsewhere" / "h.sqlite"
    argv = ["history", "rebuild", "--root", str(tmp_path), "--history", str(store)]
    assert main(argv) == 0
    assert "from 3 report(s)" in capsys.readouterr().out
    (tmp_path / "reports" / "runs" / "torn.json").write_text('{"schema_version": "1.0", "se')
    assert main(argv) == 1
    out = capsys.readouterr()
    assert "the previous content is kept in" in out.out
    assert f"skipped {tmp_path / 'reports' / 'runs' / 'torn.json'}: not valid JSON" in out.err
    with HistoryStore.open(store) as opened:
        assert stored_runs(opened) == expected_runs(made)


def test_history_in_the_environment_and_a_newer_store_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "shared" / "team.sqlite"
    store.parent.mkdir()
    with sqlite3.connect(store) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    monkeypatch.setenv("DRILLBOOK_HISTORY", str(store))
    assert main(["history", "list", "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"the history store {store} was written by a newer drillbook" in err
    assert len(err.strip().splitlines()) == 1
