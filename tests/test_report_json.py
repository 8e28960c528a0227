"""The JSON report: its fields, its summary, and its JSON Schema."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from drillbook.report import REPORT_SCHEMA_VERSION, build_report, report_schema
from test_report_builders import all_drills, error_drill, failed_drill, passed_drill, session


def validator() -> jsonschema.Draft202012Validator:
    schema = report_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def report() -> dict[str, Any]:
    return build_report(session(), [d.to_dict() for d in all_drills()])


def test_report_validates_against_the_shipped_schema() -> None:
    document = json.loads(json.dumps(report()))  # exactly what the .json file holds
    errors = sorted(validator().iter_errors(document), key=str)
    assert errors == []


def test_schema_names_the_current_version() -> None:
    schema = report_schema()
    assert schema["properties"]["schema_version"] == {"const": REPORT_SCHEMA_VERSION}


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        (("schema_version",), "0.9"),
        (("drills", 0, "outcome"), "exploded"),
        (("drills", 1, "metrics", "time_to_detect"), "fast"),
        (("drills", 1, "failure", "action", "exit_code"), "seven"),
        (("session", "participants", 0, "role"), ""),
        (("summary", "metrics", "time_to_detect", "mean"), "3.6"),
        (("drills", 0, "providers", 0), 7),
        (("drills", 0, "timings", "setup"), "4 s"),
        (("drills", 0, "incident", "status"), "closed"),
        (("drills", 0, "incident", "detected_at"), None),
        (("drills", 0, "incident", "timeline", 0, "actor"), None),
        (("drills", 0, "incident", "action_items", 0, "priority"), "urgent"),
        (("drills", 0, "detection", "rules", 1, "window"), "5s"),
        (("drills", 0, "detection", "rules", 1, "production_for"), None),
        (("drills", 0, "detection", "fired", "seconds_after_start"), "4.2"),
        (("drills", 0, "detection", "fired", "evaluations", 0, "holds"), "yes"),
        (("drills", 0, "detection", "last_evaluations", 1, "value"), "0.06"),
        (("drills", 0, "traffic", "requests"), -1),
        (("drills", 0, "traffic", "error_ratio"), 1.5),
        (("drills", 0, "traffic", "latency", "p95"), "40 ms"),
        (("drills", 0, "traffic", "entries", 0, "statuses", "200"), "many"),
        (("drills", 0, "incident"), "INC-1"),
        (("drills", 0, "detection"), []),
        (("drills", 0, "incident", "escalation", "outcome"), "done"),
        (("drills", 0, "incident", "escalation", "pages", 1, "level"), 0),
        (("drills", 0, "incident", "escalation", "pages", 1, "after_minutes"), "15m"),
        (("drills", 0, "incident", "escalation", "pages", 0, "at"), None),
        (("drills", 0, "incident", "escalation", "acknowledged_by"), 7),
        (("drills", 0, "incident", "escalation", "unreached_levels"), ["3"]),
        (("drills", 0, "incident", "notifications", 0, "ok"), "yes"),
        (("drills", 0, "incident", "notifications", 0, "channel"), "email"),
        (("drills", 0, "incident", "notifications", 0, "event"), "closed"),
        (("drills", 0, "incident", "notifications", 0, "detail"), None),
        (("drills", 0, "incident", "notifications"), {}),
    ],
)
def test_schema_rejects_wrong_values(path: tuple[str | int, ...], bad: object) -> None:
    document = json.loads(json.dumps(report()))
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = bad
    assert not validator().is_valid(document)


@pytest.mark.parametrize(
    "path",
    [
        ("drills", 0),
        ("drills", 0, "incident"),
        ("drills", 0, "incident", "timeline", 0),
        ("drills", 0, "detection"),
        ("drills", 0, "detection", "rules", 0),
        ("drills", 0, "detection", "fired"),
        ("drills", 0, "detection", "fired", "evaluations", 0),
        ("drills", 0, "detection", "last_evaluations", 0),
        ("drills", 0, "traffic"),
        ("drills", 0, "traffic", "latency"),
        ("drills", 0, "traffic", "entries", 1),
        ("drills", 0, "incident", "escalation"),
        ("drills", 0, "incident", "escalation", "pages", 0),
        ("drills", 0, "incident", "notifications", 0),
    ],
)
def test_schema_rejects_unknown_fields(path: tuple[str | int, ...]) -> None:
    document = json.loads(json.dumps(report()))
    target = document
    for key in path:
        target = target[key]
    target["surprise"] = 1
    assert not validator().is_valid(document)


def test_new_drill_fields_are_described_not_loose() -> None:
    drill = report_schema()["$defs"]["drill"]["properties"]
    for name in ("incident", "detection", "traffic"):
        assert drill[name] == {"oneOf": [{"$ref": f"#/$defs/{name}"}, {"type": "null"}]}
    assert drill["timings"] == {"$ref": "#/$defs/timings"}
    assert drill["providers"]["items"] == {"type": "string"}


def test_reports_written_before_the_new_fields_stay_valid() -> None:
    document = json.loads(json.dumps(report()))
    for drill in document["drills"]:
        for key in ("providers", "timings", "incident", "detection", "traffic"):
            del drill[key]
    assert sorted(validator().iter_errors(document), key=str) == []


def test_incidents_recorded_before_escalation_and_notifications_stay_valid() -> None:
    document = json.loads(json.dumps(report()))
    first, second = (drill["incident"] for drill in document["drills"][:2])
    assert first["escalation"]["pages"] and first["notifications"]
    del first["escalation"], first["notifications"]
    second["escalation"] = None
    second["notifications"] = []
    assert sorted(validator().iter_errors(document), key=str) == []


def test_escalation_and_notifications_are_typed_not_loose() -> None:
    incident = report_schema()["$defs"]["incident"]
    assert incident["properties"]["escalation"] == {
        "oneOf": [{"$ref": "#/$defs/escalation"}, {"type": "null"}]
    }
    assert incident["properties"]["notifications"]["items"] == {"$ref": "#/$defs/notification"}
    assert "escalation" not in incident["required"]
    assert "notifications" not in incident["required"]


def test_absent_observations_are_null_and_valid() -> None:
    document = json.loads(json.dumps(report()))
    error = document["drills"][2]
    assert (error["incident"], error["detection"], error["traffic"]) == (None, None, None)
    document["drills"][0]["detection"]["fired"] = None
    document["drills"][0]["traffic"]["latency"] = dict.fromkeys(("p50", "p95", "p99", "max"))
    document["drills"][0]["traffic"]["latency"]["samples"] = 0
    assert sorted(validator().iter_errors(document), key=str) == []


def test_session_fields() -> None:
    data = report()["session"]
    assert data["run_id"] == "run-20260501-1200"
    assert data["hostname"] == "drill-host-1"
    assert data["drillbook_version"] == "0.1.0"
    assert data["pytest_args"] == ["-n", "3", "drills/"]
    assert data["duration"] == 60.0
    assert data["started_at"] == "2026-05-01T12:00:00+00:00"
    assert data["participants"] == [
        {"name": "Ada Lovelace", "role": "trainee"},
        {"name": "Grace Hopper", "role": "lead"},
    ]


def test_drills_keep_their_order_and_content() -> None:
    drills = [failed_drill().to_dict(), passed_drill().to_dict()]
    built = build_report(session(), drills)["drills"]
    assert [d["drill_id"] for d in built] == ["payment-failure", "db-outage"]
    assert built[0]["failure"]["action"]["mismatches"][1] == {
        "what": "json status",
        "expected": "'ok'",
        "actual": "'degraded | down'",
    }
    assert built[0]["failure"]["faults_active"] == ["http-500 on stripe (toxic stripe_500)"]
    assert built[1]["phases"][3]["actions"][0]["shown"] == "pg_ctl promote"


def test_build_report_does_not_change_its_input() -> None:
    drills = [error_drill().to_dict()]
    before = json.dumps(drills)
    built = build_report(session(), drills)
    built["drills"][0]["title"] = "changed"
    assert json.dumps(drills) == before


def test_missing_standard_metrics_become_null_and_others_are_kept() -> None:
    drill = error_drill().to_dict()
    drill["metrics"] = {"pages_sent": 2.0, "time_to_detect": float("nan"), "x": float("inf")}
    built = build_report(session(), [drill])["drills"][0]["metrics"]
    assert built == {
        "time_to_detect": None,
        "time_to_acknowledge": None,
        "time_to_mitigate": None,
        "time_to_resolve": None,
        "pages_sent": 2.0,
        "x": None,
    }
    assert validator().is_valid(build_report(session(), [drill]))


def test_summary_counts_outcomes_overall_and_by_severity() -> None:
    drills = [passed_drill("a"), passed_drill("b"), failed_drill(), error_drill()]
    drills[1].severity = "SEV1"
    summary = build_report(session(), [d.to_dict() for d in drills])["summary"]
    assert (summary["total"], summary["passed"], summary["failed"]) == (4, 2, 1)
    assert (summary["error"], summary["skipped"]) == (1, 0)
    assert summary["by_severity"] == {
        "SEV1": {"total": 2, "passed": 1, "failed": 1, "error": 0, "skipped": 0},
        "SEV2": {"total": 1, "passed": 1, "failed": 0, "error": 0, "skipped": 0},
        "SEV3": {"total": 1, "passed": 0, "failed": 0, "error": 1, "skipped": 0},
    }


def test_summary_aggregates_only_measured_metrics() -> None:
    metrics = report()["summary"]["metrics"]
    # time_to_detect: 4.2 (passed), 3.0 (failed), none (error)
    assert metrics["time_to_detect"] == {
        "measured": 2,
        "not_measured": 1,
        "mean": pytest.approx(3.6),
        "min": 3.0,
        "max": 4.2,
    }
    assert metrics["time_to_resolve"] == {
        "measured": 0,
        "not_measured": 3,
        "mean": None,
        "min": None,
        "max": None,
    }


def test_empty_session_still_makes_a_valid_report() -> None:
    document = build_report(session(participants=[]), [])
    assert document["summary"]["total"] == 0
    assert validator().is_valid(document)
