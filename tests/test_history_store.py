"""The history store: appends from several processes at once, corrupt and missing stores
rebuilt from the reports (the damaged file kept), a newer schema refused, queries."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from drillbook.history import HistoryError, HistoryStore
from drillbook.history.schema import SCHEMA_VERSION
from test_history_records import incident_timeline, session_report

WORKERS = 4
REPORTS_EACH = 25


def write_reports(reports: Path, count: int) -> list[dict[str, Any]]:
    """``count`` session reports under ``reports/runs`` and one timeline under ``incidents``;
    also the duplicate ``drill-report.json`` beside them, which a rebuild must not read."""
    made = [session_report(f"run-{index:03d}", shift=index * 3600.0) for index in range(count)]
    for report in made:
        path = reports / "runs" / f"drill-report-{report['session']['run_id']}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report))
    duplicate = session_report("the-duplicate", shift=99 * 3600.0)
    (reports / "drill-report.json").write_text(json.dumps(duplicate))
    (reports / "incidents").mkdir(parents=True, exist_ok=True)
    (reports / "incidents" / "test-outage.json").write_text(json.dumps(incident_timeline()))
    return made


def expected_runs(reports: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(r["session"]["run_id"], d["drill_id"]) for r in reports for d in r["drills"]}


def stored_runs(store: HistoryStore) -> set[tuple[str, str]]:
    return {(run.run_id, run.drill_id) for run in store.drill_runs()}


# -- appending -------------------------------------------------------------------------------


def test_adding_a_report_twice_is_harmless(tmp_path: Path) -> None:
    report = session_report()
    with HistoryStore.open(tmp_path / "h.sqlite") as store:
        assert store.add_report(report, source=tmp_path / "r.json") == len(report["drills"])
        assert store.add_report(report, source=tmp_path / "r.json") == 0
        assert store.add_incident_timeline(incident_timeline()) is True
        assert store.add_incident_timeline(incident_timeline()) is False
        assert len(store.drill_runs()) == len(report["drills"])
        drill_incidents = sum(1 for d in report["drills"] if d.get("incident"))
        assert len(store.incidents()) == drill_incidents + 1
        assert {run.report for run in store.drill_runs()} == {str(tmp_path / "r.json")}


def _append_reports(path: str, worker: int, start: Any, errors: Any) -> None:
    """One process: wait for the others, then append 25 reports, opening the store for each
    as a separate pytest session would."""
    start.wait()
    for index in range(REPORTS_EACH):
        report = session_report(f"w{worker}-{index:02d}", shift=index)
        try:
            with HistoryStore.open(Path(path), busy_timeout=60) as store:
                store.add_report(report)
        except Exception as error:
            errors.put(f"worker {worker} report {index}: {error!r}")


def test_several_processes_appending_at_once_lose_nothing(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(WORKERS)
    errors = context.Queue()
    path = tmp_path / "shared" / "history.sqlite"
    workers = [
        context.Process(target=_append_reports, args=(str(path), n, start, errors))
        for n in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    problems = []
    while not errors.empty():
        problems.append(errors.get())
    assert problems == []
    assert [worker.exitcode for worker in workers] == [0] * WORKERS
    with HistoryStore.open(path) as store:
        runs = store.drill_runs()
    run_ids = {run.run_id for run in runs}
    assert run_ids == {f"w{w}-{i:02d}" for w in range(WORKERS) for i in range(REPORTS_EACH)}
    assert len(runs) == WORKERS * REPORTS_EACH * len(session_report()["drills"])


def test_the_store_keeps_the_rollback_journal(tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path / "h.sqlite") as store:
        store.add_report(session_report())
    with sqlite3.connect(tmp_path / "h.sqlite") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


# -- queries ---------------------------------------------------------------------------------


def test_queries_order_filter_and_limit(tmp_path: Path) -> None:
    made = write_reports(tmp_path / "reports", 3)
    with HistoryStore.open(tmp_path / "h.sqlite") as store:
        store.import_files(sorted((tmp_path / "reports").rglob("*.json")))
        runs = store.drill_runs()
        starts = [run.started_at for run in runs]
        assert starts == sorted(starts)
        one = store.drill_runs(drill_id="db-outage")
        assert [run.run_id for run in one] == ["run-000", "run-001", "run-002", "the-duplicate"]
        latest = store.drill_runs(drill_id="db-outage", latest=2)
        assert [run.run_id for run in latest] == [run.run_id for run in one[-2:]]
        found = store.incidents()
        assert [i.opened_at for i in found] == sorted((i.opened_at for i in found), reverse=True)
        assert store.incidents(limit=2) == found[:2]
        last = store.last_drilled()
    newest = max(
        (d for r in made for d in r["drills"] if d["runbook_id"] == "database-outage"),
        key=lambda d: d["started_at"],
    )
    assert last["database-outage"].isoformat() >= newest["started_at"]
    assert last["database-outage"] == max(r.started_at for r in one)


# -- missing, corrupt, newer ------------------------------------------------------------------


def test_a_missing_store_is_rebuilt_from_the_reports(tmp_path: Path) -> None:
    made = write_reports(tmp_path / "reports", 4)
    said: list[str] = []
    path = tmp_path / "reports" / "history.sqlite"
    with HistoryStore.open(path, reports_dir=tmp_path / "reports", notify=said.append) as store:
        assert stored_runs(store) == expected_runs(made), "not the duplicate drill-report.json"
        assert any(i.source == "run" for i in store.incidents())
    assert len(said) == 1 and "did not exist" in said[0] and "5 report(s)" in said[0]


def test_a_missing_store_without_reports_starts_empty_quietly(tmp_path: Path) -> None:
    said: list[str] = []
    with HistoryStore.open(tmp_path / "h.sqlite", reports_dir=tmp_path, notify=said.append) as s:
        assert s.drill_runs() == [] and s.incidents() == [] and s.last_drilled() == {}
    assert said == []


def _garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database\n" * 100)


def _damaged_pages(path: Path) -> None:
    with HistoryStore.open(path) as store:
        for index in range(30):
            store.add_report(session_report(f"old-{index}"))
    data = bytearray(path.read_bytes())
    for offset in range(4096, len(data) - 4096, 4096):
        data[offset + 10 : offset + 300] = b"\xa5" * 290
    path.write_bytes(bytes(data))


def _foreign_tables(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE bookings (id INTEGER)")


def _wrong_columns(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE drill_runs (id INTEGER)")
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (_garbage, "is not an SQLite database"),
        (_damaged_pages, "fails SQLite's integrity check"),
        (_foreign_tables, "holds tables that are not a drillbook history"),
        (_wrong_columns, "does not have the history table 'drill_runs'"),
    ],
)
def test_a_corrupt_store_is_kept_aside_and_rebuilt(
    tmp_path: Path, damage: Any, reason: str
) -> None:
    reports = tmp_path / "reports"
    made = write_reports(reports, 3)
    (reports / "runs" / "broken.json").write_text('{"session": ')
    path = reports / "history.sqlite"
    damage(path)
    original = path.read_bytes()
    said: list[str] = []
    with HistoryStore.open(path, reports_dir=reports, notify=said.append) as store:
        assert stored_runs(store) == expected_runs(made)
    kept = list(reports.glob("history.sqlite.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == original, "the damaged file is kept as it was"
    assert said[0].startswith(f"history store {path} {reason}")
    assert all("\n" not in line for line in said), said
    assert f"kept it as {kept[0]}" in said[0] and "rebuilt" in said[0]
    assert said[1:] == [
        f"skipped {reports / 'runs' / 'broken.json'}: not valid JSON (line 1, "
        "column 13: Expecting value)"
    ]


def test_a_store_from_a_newer_drillbook_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE drill_runs (future TEXT)")
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = path.read_bytes()
    write_reports(tmp_path, 1)
    with pytest.raises(HistoryError, match="newer drillbook") as caught:
        HistoryStore.open(path, reports_dir=tmp_path)
    assert "\n" not in str(caught.value)
    assert path.read_bytes() == before
    assert list(tmp_path.glob("history.sqlite.*")) == []


def test_explicit_rebuild_replaces_the_content_and_keeps_a_copy(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    made = write_reports(reports, 2)
    path = tmp_path / "history.sqlite"
    with HistoryStore.open(path) as store:
        store.add_report(session_report("made-elsewhere"))
        summary, backup = store.rebuild(reports)
        assert stored_runs(store) == expected_runs(made)
    assert summary.files == 3 and summary.skipped == []
    assert backup is not None
    with HistoryStore.open(backup) as old:
        assert {run.run_id for run in old.drill_runs()} == {"made-elsewhere"}
