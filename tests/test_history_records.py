"""History records from real drill reports and ``drillbook run`` timelines, and their round
trip through the SQLite store (hypothesis)."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from drillbook.history import DrillRun, HistoryStore, IncidentRecord, TimelineEntry
from drillbook.history.from_report import ReportFormatError, run_incident_id
from drillbook.history.importing import records_in
from drillbook.report import build_report
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_report_builders import all_drills, session

SCHEMA = json.loads((Path(__file__).parents[1] / "plugin/drillbook/report/schema.json").read_text())


_BASE_DRILLS = [result.to_dict() for result in all_drills()]
jsonschema.validate(build_report(session(), _BASE_DRILLS), SCHEMA)


def session_report(run_id: str = "run-20260501-1200", shift: float = 0.0) -> dict[str, Any]:
    """A real session report (the report model's own output, valid against schema.json): a
    passed, a failed and an error drill; ``shift`` moves each drill's start by that many
    seconds. Each incident gets an id of its own (``INC-<run id>-<n>``)."""
    drills = copy.deepcopy(_BASE_DRILLS)
    for number, data in enumerate(drills):
        data["started_at"] = _shifted(data["started_at"], shift)
        if data.get("incident"):
            data["incident"]["id"] = f"INC-{run_id}-{number}"
    return build_report(replace(session(), run_id=run_id), drills)


def incident_timeline(
    runbook_id: str = "test-outage", status: str = "resolved", started: str | None = None
) -> dict[str, Any]:
    """A ``drillbook run`` timeline as interactive/timeline.py writes it."""
    opened = started or "2026-05-01T12:00:00+00:00"
    step_result = {
        "label": "step 1: restart the app",
        "outcome": "passed",
        "started_at": "2026-05-01T12:01:05+00:00",
        "ended_at": "2026-05-01T12:01:06+00:00",
    }
    return {
        "format": "drillbook-incident-timeline/1",
        "runbook": {"id": runbook_id, "title": "Test outage", "severity": "P2", "file": "r.yaml"},
        "operator": "ada",
        "dry_run": False,
        "started_at": opened,
        "ended_at": "2026-05-01T12:05:00+00:00",
        "status": status,
        "vars": {},
        "steps": [
            {
                "order": 1,
                "description": "restart the app",
                "line": 9,
                "decision": "run",
                "decided_at": "2026-05-01T12:01:00+00:00",
                "reason": "",
                "result": step_result,
                "after_failure": None,
                "interrupted": False,
            },
            {"order": 2, "description": "never reached", "line": 12, "decision": None},
        ],
        "rollbacks": [],
        "verification": [
            {**step_result, "label": "app answers", "started_at": "2026-05-01T12:03:00+00:00"}
        ],
    }


def _shifted(text: str, seconds: float) -> str:
    return (datetime.fromisoformat(text) + timedelta(seconds=seconds)).isoformat()


# -- from a session report ------------------------------------------------------------------


def test_drill_runs_from_a_real_report_carry_its_figures() -> None:
    report = session_report()
    records = records_in(report, "reports/runs/r.json")
    assert [run.drill_id for run in records.drill_runs] == [d["drill_id"] for d in report["drills"]]
    for run, drill in zip(records.drill_runs, report["drills"], strict=True):
        assert run.run_id == "run-20260501-1200"
        assert run.outcome == drill["outcome"]
        assert run.runbook_id == drill["runbook_id"]
        assert run.started_at == datetime.fromisoformat(drill["started_at"])
        assert run.started_at.tzinfo is not None and run.started_at.utcoffset() == timedelta(0)
        assert run.time_to_detect == drill["metrics"]["time_to_detect"]
        assert run.time_to_mitigate == drill["metrics"]["time_to_mitigate"]
        assert run.report == "reports/runs/r.json"
        if drill["failure"] is None:
            assert run.failure is None
        else:
            assert run.failure is not None and "\n" not in run.failure
            assert run.failure.startswith(drill["failure"]["phase"] + ": ")


def test_a_drills_incident_with_its_timeline_and_linked_postmortems() -> None:
    report = session_report()
    drill = next(d for d in report["drills"] if d["incident"])
    drill["incident"]["related_postmortems"] = [
        {"path": "postmortems/2026-03-db.md", "line": 12, "title": "DB", "score": 3.5}
    ]
    incidents = records_in(report, None).incidents
    incident = next(i for i in incidents if i.incident_id == drill["incident"]["id"])
    assert len({i.incident_id for i in incidents}) == len(incidents) > 1
    source = drill["incident"]
    assert incident.source == "drill"
    assert incident.status == source["status"]
    assert incident.runbook_id == "database-outage"
    assert incident.opened_at == datetime.fromisoformat(source["detected_at"])
    assert [entry.kind for entry in incident.timeline] == [e["kind"] for e in source["timeline"]]
    assert incident.related_postmortems == ("postmortems/2026-03-db.md:12",)
    assert incident.is_open == (source["resolved_at"] is None)


def test_an_incident_timeline_of_drillbook_run() -> None:
    incident = records_in(incident_timeline(), "reports/incidents/t.json").incidents[0]
    assert incident.source == "run"
    assert incident.incident_id == run_incident_id(
        "test-outage", datetime(2026, 5, 1, 12, tzinfo=UTC)
    )
    assert (incident.title, incident.severity, incident.status) == ("Test outage", "P2", "resolved")
    assert incident.closed_at == datetime(2026, 5, 1, 12, 5, tzinfo=UTC)
    kinds = [entry.kind for entry in incident.timeline]
    assert kinds == ["opened", "step", "check", "resolved"]
    assert "step 1 run: restart the app (passed)" in incident.timeline[1].message
    assert not incident.is_open


def test_an_incident_still_in_progress_is_open() -> None:
    data = incident_timeline(status="in_progress")
    data["ended_at"] = None
    incident = records_in(data, None).incidents[0]
    assert incident.is_open and incident.closed_at is None


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda r: r.pop("drills"), "neither a drill report"),
        (lambda r: r["session"].pop("run_id"), "session.run_id is missing"),
        (lambda r: r["drills"][1].update(started_at="yesterday"), "drills[1].started_at"),
        (lambda r: r["drills"][0]["metrics"].update(time_to_detect="4s"), "not a number"),
        (lambda r: r["drills"][2].update(started_at="2026-05-01T12:00:00"), "no time zone"),
    ],
)
def test_a_damaged_report_says_what_is_wrong(damage: Any, message: str) -> None:
    report = copy.deepcopy(session_report())
    damage(report)
    with pytest.raises(ReportFormatError, match=message.replace("[", r"\[").replace("]", r"\]")):
        records_in(report, None)


# -- round trip through the store (hypothesis) -----------------------------------------------

ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=10)), timezone(timedelta(hours=-5, minutes=-30))]
)
MOMENTS = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=ZONES
)
TEXT = st.text(max_size=30)
NAME = st.text(min_size=1, max_size=20)
SECONDS = st.none() | st.floats(min_value=0, max_value=1e7, allow_nan=False)


@st.composite
def drill_runs(draw: st.DrawFn) -> DrillRun:
    return DrillRun(
        run_id=draw(NAME),
        drill_id=draw(NAME),
        title=draw(TEXT),
        runbook_id=draw(st.none() | NAME),
        severity=draw(st.none() | st.sampled_from(["P1", "P2", "P3", "P4"])),
        outcome=draw(st.sampled_from(["passed", "failed", "error", "skipped"])),
        started_at=draw(MOMENTS),
        duration=draw(SECONDS),
        time_to_detect=draw(SECONDS),
        time_to_acknowledge=draw(SECONDS),
        time_to_mitigate=draw(SECONDS),
        time_to_resolve=draw(SECONDS),
        failure=draw(st.none() | TEXT),
        report=draw(st.none() | TEXT),
    )


@st.composite
def incidents(draw: st.DrawFn) -> IncidentRecord:
    entries = st.builds(TimelineEntry, at=MOMENTS, kind=NAME, message=TEXT)
    return IncidentRecord(
        incident_id=draw(NAME),
        title=draw(TEXT),
        severity=draw(st.none() | NAME),
        status=draw(st.sampled_from(["resolved", "in_progress", "failed", "aborted", "detected"])),
        source=draw(st.sampled_from(["drill", "run"])),
        runbook_id=draw(st.none() | NAME),
        opened_at=draw(MOMENTS),
        closed_at=draw(st.none() | MOMENTS),
        timeline=tuple(draw(st.lists(entries, max_size=5))),
        report=draw(st.none() | TEXT),
        related_postmortems=tuple(draw(st.lists(TEXT, max_size=3))),
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    runs=st.lists(drill_runs(), max_size=8, unique_by=lambda r: (r.run_id, r.drill_id)),
    found=st.lists(incidents(), max_size=6, unique_by=lambda i: i.incident_id),
)
def test_records_come_back_from_the_store_as_they_went_in(
    tmp_path: Path, runs: list[DrillRun], found: list[IncidentRecord]
) -> None:
    path = tmp_path / f"h-{len(list(tmp_path.iterdir()))}.sqlite"
    with HistoryStore.open(path) as store:
        assert store.add_records(runs, found) == (len(runs), len(found))
        assert store.add_records(runs, found) == (0, 0), "adding again changes nothing"
    with HistoryStore.open(path) as store:
        back_runs = store.drill_runs()
        back_incidents = store.incidents()
        by_drill = {run.drill_id: store.drill_runs(drill_id=run.drill_id) for run in runs}
    assert sorted(back_runs, key=_run_key) == sorted(runs, key=_run_key)
    assert [r.started_at for r in back_runs] == sorted(r.started_at for r in runs)
    assert all(r.started_at.utcoffset() == timedelta(0) for r in back_runs)
    assert sorted(back_incidents, key=lambda i: i.incident_id) == sorted(
        found, key=lambda i: i.incident_id
    )
    assert [i.opened_at for i in back_incidents] == sorted(
        (i.opened_at for i in found), reverse=True
    )
    with HistoryStore.open(path) as store:
        still_open = store.incidents(open_only=True)
        open_runs = store.incidents(open_only=True, source="run")
        counts = (store.incident_count(), store.incident_count(open_only=True, source="run"))
    assert sorted(i.incident_id for i in still_open) == sorted(
        i.incident_id for i in found if i.is_open
    )
    assert sorted(i.incident_id for i in open_runs) == sorted(
        i.incident_id for i in found if i.is_open and i.source == "run"
    )
    assert counts == (len(found), len(open_runs))
    for drill_id, only in by_drill.items():
        assert sorted(only, key=_run_key) == sorted(
            (r for r in runs if r.drill_id == drill_id), key=_run_key
        )


def _run_key(run: DrillRun) -> tuple[str, str]:
    return (run.run_id, run.drill_id)
