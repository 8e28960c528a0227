"""Recording: a pytest session of drills (alone and under xdist) and ``drillbook run`` append
to the history store; a store that cannot be written is a warning, never a failed session."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml
from drillbook.cli import main
from drillbook.history import HistoryStore
from drillbook.interactive import command
from drillbook.interactive.prompter import ScriptedPrompter

OK_RUNBOOK = textwrap.dedent("""\
    id: ok
    title: OK
    severity: P3
    steps:
      - order: 1
        description: nothing to do
        command: "true"
    """)


@pytest.fixture
def drills(pytester: pytest.Pytester) -> Path:
    """Two cheap drills of a runbook whose one step is ``true``."""
    (pytester.path / "runbooks").mkdir()
    (pytester.path / "drills").mkdir()
    (pytester.path / "runbooks" / "ok.yaml").write_text(OK_RUNBOOK)
    for index in range(2):
        (pytester.path / "drills" / f"d{index}.yaml").write_text(
            f"id: drill-{index}\ntitle: Drill {index}\nrunbook: ok\n"
        )
    return pytester.path


def stored(path: Path) -> list[tuple[str, str, str]]:
    with HistoryStore.open(path) as store:
        return [(run.run_id, run.drill_id, run.outcome) for run in store.drill_runs()]


def session_run_id(reports: Path) -> str:
    run_id: str = json.loads((reports / "drill-report.json").read_text())["session"]["run_id"]
    return run_id


def test_a_session_appends_its_drills_to_the_store_in_the_report_dir(
    pytester: pytest.Pytester, drills: Path
) -> None:
    result = pytester.runpytest("drills", "-q")
    result.assert_outcomes(passed=2)
    history = drills / "reports" / "history.sqlite"
    result.stdout.fnmatch_lines([f"drill history: 2 drill run(s) recorded in {history}"])
    run_id = session_run_id(drills / "reports")
    assert stored(history) == [(run_id, "drill-0", "passed"), (run_id, "drill-1", "passed")]
    with HistoryStore.open(history) as store:
        reports = {run.report for run in store.drill_runs()}
        assert store.last_drilled().keys() == {"ok"}
    assert reports == {str(drills / "reports" / "runs" / f"drill-report-{run_id}.json")}

    pytester.runpytest("drills", "-q").assert_outcomes(passed=2)
    assert len(stored(history)) == 4, "a second session adds its own runs"


def test_under_xdist_only_the_controller_records_the_merged_report(
    pytester: pytest.Pytester, drills: Path
) -> None:
    history = drills / "team" / "history.sqlite"
    result = pytester.runpytest("drills", "-n", "2", "-q", f"--drill-history={history}")
    result.assert_outcomes(passed=2)
    run_id = session_run_id(drills / "reports")
    assert sorted(stored(history)) == [(run_id, "drill-0", "passed"), (run_id, "drill-1", "passed")]
    assert not (drills / "reports" / "history.sqlite").exists()


def test_the_ini_setting_names_the_store(pytester: pytest.Pytester, drills: Path) -> None:
    pytester.makeini("[pytest]\ndrillbook_history = ci-cache/history.sqlite\n")
    pytester.runpytest("drills", "-q").assert_outcomes(passed=2)
    assert len(stored(drills / "ci-cache" / "history.sqlite")) == 2


def test_a_store_that_cannot_be_written_is_a_warning_not_a_failure(
    pytester: pytest.Pytester, drills: Path
) -> None:
    blocked = drills / "blocked"
    blocked.write_text("a file where the store's folder should be")
    result = pytester.runpytest("drills", "-q", f"--drill-history={blocked / 'history.sqlite'}")
    result.assert_outcomes(passed=2)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["warning: the drills were not recorded in the history: *blocked*"])
    assert "Traceback" not in result.stdout.str()
    assert (drills / "reports" / "drill-report.json").is_file(), "the report is still written"


def test_a_dry_run_session_records_nothing(pytester: pytest.Pytester, drills: Path) -> None:
    pytester.runpytest("drills", "-q", "--dry-run").assert_outcomes(skipped=2)
    history = drills / "reports" / "history.sqlite"
    assert not history.exists() or stored(history) == []


# -- drillbook run ---------------------------------------------------------------------------


def write_runbook(folder: Path) -> Path:
    data = {
        "id": "test-outage",
        "title": "Test outage",
        "severity": "P2",
        "scenario": "the test service is down",
        "escalation": "page the duty manager after 15 minutes",
        "steps": [
            {"order": 1, "description": "restart", "command": "echo restarted >> log.txt"},
            {"order": 2, "description": "warm the cache", "command": "true"},
        ],
        "verification": [{"description": "it answers", "command": "true"}],
    }
    path = folder / "runbooks" / "test-outage.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def drive(monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    prompter = ScriptedPrompter([])
    monkeypatch.setattr(command, "make_prompter", lambda: prompter)
    return main(["run", *argv])


def test_drillbook_run_appends_its_incident_when_the_run_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DRILLBOOK_HISTORY", raising=False)
    runbook = write_runbook(tmp_path)
    assert drive(monkeypatch, str(runbook), "--yes") == 0
    (timeline_file,) = (tmp_path / "reports" / "incidents").glob("*.json")
    with HistoryStore.open(tmp_path / "reports" / "history.sqlite") as store:
        (incident,) = store.incidents()
    assert (incident.source, incident.runbook_id, incident.status) == (
        "run",
        "test-outage",
        "resolved",
    )
    assert not incident.is_open and incident.report == str(timeline_file)
    steps = [entry.message for entry in incident.timeline if entry.kind == "step"]
    assert steps == ["step 1 run: restart (passed)", "step 2 run: warm the cache (passed)"]
    timeline = json.loads(timeline_file.read_text())
    assert incident.closed_at is not None
    assert incident.closed_at.isoformat() == timeline["ended_at"]


def test_drillbook_run_with_a_history_path_and_a_dry_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    runbook = write_runbook(tmp_path)
    history = tmp_path / "team.sqlite"
    assert drive(monkeypatch, str(runbook), "--dry-run", "--history", str(history)) == 0
    assert not history.exists(), "a dry run is not an incident"
    assert drive(monkeypatch, str(runbook), "--yes", "--history", str(history)) == 0
    with HistoryStore.open(history) as store:
        assert [i.runbook_id for i in store.incidents()] == ["test-outage"]
    assert not (tmp_path / "reports" / "history.sqlite").exists()
