"""JUnit properties of a drill: names and string values CI dashboards can read."""

from __future__ import annotations

from drillbook.report import junit_properties
from test_report_builders import error_drill, failed_drill, passed_drill


def test_passed_drill_properties() -> None:
    props = junit_properties(passed_drill())
    assert all(isinstance(name, str) and isinstance(value, str) for name, value in props)
    as_dict = dict(props)
    assert len(as_dict) == len(props)  # every name once
    assert as_dict["drill.id"] == "db-outage"
    assert as_dict["drill.runbook"] == "database-outage"
    assert as_dict["drill.severity"] == "SEV2"
    assert as_dict["drill.outcome"] == "passed"
    assert as_dict["drill.duration"] == "30.0"
    assert as_dict["drill.tags"] == "database,postgres"
    assert as_dict["drill.time_to_detect"] == "4.2"
    assert as_dict["drill.time_to_mitigate"] == "6.5"
    assert as_dict["drill.time_to_resolve"] == "not measured"
    assert as_dict["drill.phase.respond.duration"] == "1.3"
    assert as_dict["drill.phase.detect.outcome"] == "passed"
    assert "drill.failure.phase" not in as_dict


def test_one_property_per_metric_and_phase_in_order() -> None:
    names = [name for name, _ in junit_properties(passed_drill())]
    metrics = [n for n in names if n.startswith("drill.time_to_")]
    assert metrics == [
        "drill.time_to_detect",
        "drill.time_to_acknowledge",
        "drill.time_to_mitigate",
        "drill.time_to_resolve",
    ]
    durations = [n for n in names if n.startswith("drill.phase.") and n.endswith(".duration")]
    assert durations == [
        f"drill.phase.{p}.duration"
        for p in ("steady_state", "inject", "detect", "respond", "verify", "recover")
    ]


def test_failed_drill_names_phase_summary_and_action() -> None:
    as_dict = dict(junit_properties(failed_drill()))
    assert as_dict["drill.outcome"] == "failed"
    assert as_dict["drill.phase.verify.outcome"] == "failed"
    assert as_dict["drill.failure.phase"] == "verify"
    assert as_dict["drill.failure.summary"].startswith("orders API still failing")
    assert as_dict["drill.failure.action"] == "check orders API answers"
    assert as_dict["drill.failure.where"] == "runbooks/database-outage.yaml:31"
    assert as_dict["drill.time_to_acknowledge"] == "not measured"


def test_error_drill_without_metrics_still_lists_the_standard_ones() -> None:
    drill = error_drill()
    drill.metrics = {"pages_sent": 2}
    as_dict = dict(junit_properties(drill))
    assert as_dict["drill.outcome"] == "error"
    assert as_dict["drill.time_to_detect"] == "not measured"
    assert as_dict["drill.pages_sent"] == "2.0"
    assert "drill.tags" not in as_dict
    assert "drill.phase.respond.duration" not in as_dict  # only phases that ran


OBSERVED = (
    "drill.detection.rule",
    "drill.detection.seconds",
    "drill.incident.id",
    "drill.traffic.requests",
    "drill.traffic.error_ratio",
    "drill.traffic.p95",
)


def test_detection_incident_and_traffic_properties() -> None:
    as_dict = dict(junit_properties(passed_drill()))
    assert {name: as_dict[name] for name in OBSERVED} == {
        "drill.detection.rule": "db-down",
        "drill.detection.seconds": "4.2",
        "drill.incident.id": "INC-20260501-0A1B2C",
        "drill.traffic.requests": "300",
        "drill.traffic.error_ratio": "0.01",
        "drill.traffic.p95": "0.04",
    }
    names = [name for name, _ in junit_properties(passed_drill())]
    assert names[-len(OBSERVED) :] == list(OBSERVED)


def test_only_what_was_recorded_becomes_a_property() -> None:
    failed = dict(junit_properties(failed_drill()))  # no rule fired
    assert "drill.detection.rule" not in failed and "drill.detection.seconds" not in failed
    assert failed["drill.incident.id"] == "INC-20260501-0A1B2C"
    assert failed["drill.traffic.error_ratio"] == "0.133333"
    error = dict(junit_properties(error_drill()))  # no incident, detection or traffic
    assert not set(OBSERVED) & set(error)


def test_unmeasured_or_malformed_figures_are_left_out() -> None:
    drill = passed_drill()
    assert drill.traffic is not None and drill.incident is not None
    drill.traffic["error_ratio"] = None  # no request finished
    drill.traffic["latency"]["p95"] = float("nan")
    drill.traffic["requests"] = "300"
    drill.incident["id"] = ""
    drill.detection = {"fired": "db-down"}
    as_dict = dict(junit_properties(drill))
    assert not set(OBSERVED) & set(as_dict)
