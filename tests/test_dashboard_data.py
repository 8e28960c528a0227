"""Gathering the dashboard's data from a workspace on disk: history, incidents, action items,
on-call, stale and linted runbooks; and the empty states when inputs are missing."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from drillbook.dashboard.data import gather
from drillbook.workspace import Workspace
from test_dashboard_support import NOW, drill, fill_history, make_workspace, report


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    files = make_workspace(tmp_path / "team")
    fill_history(files.history)
    return Workspace.discover(files.root, environ={})


def test_scenarios_hold_last_result_pass_rate_and_trends(workspace: Workspace) -> None:
    data = gather(workspace, now=NOW)
    assert data.history_note is None and data.runs == 25
    by_id = {s.drill_id: s for s in data.scenarios}
    assert set(by_id) == {"api-errors", "db-failover", "api-stuck"}
    api = by_id["api-errors"]
    assert api.last.outcome == "failed" and api.last.failure == "verify: check failed: error ratio"
    assert (api.runs, api.judged, api.passed) == (12, 12, 8)
    assert api.unit == "day" and len(api.buckets) == 12
    assert [b.time_to_detect for b in api.buckets] == [1.0 + n for n in range(12)]
    assert by_id["db-failover"].buckets[0].time_to_detect is None
    assert data.scenarios[-1].drill_id == "db-failover"  # passing ones last


def test_open_incidents_are_split_out_with_both_sources_labelled(workspace: Workspace) -> None:
    data = gather(workspace, now=NOW)
    assert data.incidents_total == 14
    # the failed drill left its incident "mitigating": unresolved, but not open
    assert [(i.source, i.status) for i in data.open_incidents] == [("run", "in_progress")]
    assert data.open_incidents_total == 1
    assert ("drill", "mitigating") in {(i.source, i.status) for i in data.recent_incidents}
    assert data.recent_incidents[0].source == "run"  # newest first
    assert [e.kind for e in data.recent_incidents[2].timeline] == ["detected", "mitigated"]


def test_action_items_on_call_and_runbooks(workspace: Workspace) -> None:
    data = gather(workspace, now=NOW)
    open_items = data.actions.open_items(NOW.date())
    assert [i.action for i in open_items][:2] == [
        "Add an alert on the error ratio",
        "Document the failover",
    ]
    assert open_items[0].overdue(NOW.date()) and open_items[0].due == date(2026, 11, 1)
    primary = data.oncall.schedules[0]
    assert len(data.oncall.schedules) == 2
    assert primary.schedule_id == "primary" and primary.now is not None and primary.next is not None
    assert primary.now.person_id != primary.next.person_id
    assert primary.handoff is not None and primary.handoff > NOW
    assert primary.handoff_local.endswith("09:00 AEDT") and primary.handoff_utc.endswith(
        "22:00 UTC"
    )
    by_id = {r.runbook_id: r for r in data.runbooks}
    assert set(by_id) == {"high-error-rate", "payment-failure"}
    assert not by_id["high-error-rate"].stale and by_id["high-error-rate"].last_drilled is not None
    assert by_id["payment-failure"].stale and by_id["payment-failure"].last_drilled is None
    assert by_id["high-error-rate"].findings == ()
    assert by_id["payment-failure"].findings  # the seed's runbook has lint findings
    assert [r.runbook_id for r in data.stale_runbooks] == ["payment-failure"]


def test_a_runbook_drilled_long_ago_is_stale(workspace: Workspace) -> None:
    later = NOW + workspace.stale_after + timedelta(days=1)
    data = gather(workspace, now=later)
    assert {r.runbook_id for r in data.stale_runbooks} == {"high-error-rate", "payment-failure"}


def test_missing_inputs_are_empty_states_with_notes(tmp_path: Path) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    workspace = Workspace.discover(root, environ={})
    data = gather(workspace, now=NOW)
    assert data.scenarios == () and data.runs == 0 and data.open_incidents == ()
    assert data.history_note is not None and "no drill history yet" in data.history_note
    assert not workspace.history_path.exists()  # nothing created just to show nothing
    assert data.actions.items == () and data.actions.files_read == 0
    assert (
        data.oncall.source is None and data.oncall.schedules == () and data.oncall.problem is None
    )
    assert data.runbooks == ()


def test_a_broken_on_call_file_or_store_is_a_message_not_an_error(tmp_path: Path) -> None:
    files = make_workspace(tmp_path / "team")
    (files.root / "oncall.yaml").write_text("people:\n  a: [unclosed\n", encoding="utf-8")
    files.history.parent.mkdir(parents=True)
    files.history.write_bytes(b"this is no sqlite database" * 100)
    saved = report("kept", NOW - timedelta(days=1), [drill("from-json", NOW - timedelta(days=1))])
    (files.history.parent / "runs").mkdir()
    (files.history.parent / "runs" / "drill-report-kept.json").write_text(
        json.dumps(saved), encoding="utf-8"
    )
    data = gather(Workspace.discover(files.root, environ={}), now=NOW)
    assert (
        data.oncall.problem is not None
        and "oncall.yaml:3:1: YAML syntax error" in data.oncall.problem
    )
    # the store was moved aside and rebuilt from the JSON reports, and the page says so
    assert [s.drill_id for s in data.scenarios] == ["from-json"]
    assert data.history_note is not None and "rebuilt" in data.history_note


def test_the_history_path_can_be_given(workspace: Workspace, tmp_path: Path) -> None:
    elsewhere = tmp_path / "cache" / "history.sqlite"
    elsewhere.parent.mkdir()
    workspace.history_path.rename(elsewhere)
    assert gather(workspace, now=NOW, history_path=elsewhere).runs == 25
