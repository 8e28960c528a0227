"""The report document turned into display-ready text, shared by the Markdown and HTML forms.

Every field here is plain text; the templates escape it for their format.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from drillbook.report import formatting as fmt
from drillbook.report.formatting import metric_title
from drillbook.report.json_report import METRIC_BASIS, STANDARD_METRICS, metric_names
from drillbook.report.view_chart import ChartView, timeline_chart
from drillbook.report.view_detection import DetectionView, detection_view
from drillbook.report.view_incident import IncidentView, incident_view
from drillbook.report.view_moments import Moment, key_moments
from drillbook.report.view_traffic import TrafficView, traffic_view

SIGNOFF_BLANK_ROWS = 2

# How the Set-up line names the timings a drill records outside its phases.
TIMING_WORDS = {"setup": "set up in", "teardown": "torn down in"}


@dataclass(frozen=True)
class Badge:
    """An outcome as shown: its word with a symbol, and a CSS class from a fixed set."""

    label: str
    css: str

    @property
    def ok(self) -> bool:
        return self.css != "bad"

    @classmethod
    def of(cls, outcome: Any) -> Badge:
        return cls(fmt.outcome_label(str(outcome)), fmt.outcome_class(str(outcome)))


@dataclass(frozen=True)
class MismatchView:
    what: str
    expected: str
    actual: str


@dataclass(frozen=True)
class OutputView:
    name: str
    text: str
    note: str


@dataclass(frozen=True)
class ActionView:
    label: str
    kind: str
    role: str
    where: str
    shown: str
    badge: Badge
    exit_code: str
    status_code: str
    duration: str
    attempts: str
    message: str
    mismatches: list[MismatchView]
    outputs: list[OutputView]
    failing: bool


@dataclass(frozen=True)
class PhaseView:
    name: str
    badge: Badge
    duration: str
    message: str
    actions: list[ActionView]


@dataclass(frozen=True)
class EventView:
    time: str
    offset: str
    kind: str
    message: str


@dataclass(frozen=True)
class MetricView:
    """A metric's title, its value as read, and what it measures ('' for non-standard ones)."""

    name: str
    value: str
    basis: str = ""


@dataclass(frozen=True)
class FailureView:
    phase: str
    summary: str
    action: ActionView | None
    faults_active: list[str]


@dataclass(frozen=True)
class DrillView:
    number: int
    anchor: str
    id: str
    title: str
    runbook: str
    severity: str
    badge: Badge
    tags: list[str]
    duration: str
    started: str
    ended: str
    drill_file: str
    runbook_file: str
    metrics: list[MetricView]
    phases: list[PhaseView]
    timeline: list[EventView]
    failure: FailureView | None
    services: list[str]
    figures: list[str]
    setup: str
    providers: list[str]
    incident: IncidentView | None
    detection: DetectionView | None
    traffic: TrafficView | None
    chart: ChartView | None
    moments: list[Moment]


@dataclass(frozen=True)
class PersonView:
    name: str
    role: str


@dataclass(frozen=True)
class SessionView:
    run_id: str
    started: str
    ended: str
    duration: str
    hostname: str
    drillbook_version: str
    pytest_args: str
    participants: list[PersonView]
    signoff_rows: list[PersonView]


@dataclass(frozen=True)
class CountView:
    name: str
    total: int
    passed: int
    failed: int
    error: int
    skipped: int


@dataclass(frozen=True)
class AggregateView:
    name: str
    measured: str
    mean: str
    min: str
    max: str


@dataclass(frozen=True)
class ReportView:
    """Everything a report template shows."""

    schema_version: str
    badge: Badge
    session: SessionView
    counts: CountView
    by_severity: list[CountView]
    aggregates: list[AggregateView]
    figure_names: list[str]
    drills: list[DrillView]


def report_view(report: dict[str, Any]) -> ReportView:
    """The display form of a report document made by ``build_report``."""
    summary = report.get("summary", {})
    counts = _counts("all", summary)
    overall = "passed" if counts.total == counts.passed + counts.skipped else "failed"
    if counts.total == 0:
        overall = "skipped"
    return ReportView(
        schema_version=str(report.get("schema_version", "")),
        badge=Badge.of(overall),
        session=_session(report.get("session", {})),
        counts=counts,
        by_severity=[_counts(k, v) for k, v in summary.get("by_severity", {}).items()],
        aggregates=[_aggregate(k, v) for k, v in summary.get("metrics", {}).items()],
        figure_names=[metric_title(name) for name in STANDARD_METRICS],
        drills=[_drill(n, d) for n, d in enumerate(report.get("drills", []), start=1)],
    )


def _session(data: dict[str, Any]) -> SessionView:
    people = [PersonView(str(p["name"]), str(p["role"])) for p in data.get("participants", [])]
    blanks = [PersonView("", "")] * (0 if people else SIGNOFF_BLANK_ROWS)
    return SessionView(
        run_id=str(data.get("run_id", "")),
        started=fmt.instant(data.get("started_at")),
        ended=fmt.instant(data.get("ended_at")),
        duration=fmt.seconds(data.get("duration")),
        hostname=str(data.get("hostname", "")),
        drillbook_version=str(data.get("drillbook_version", "")),
        pytest_args=shlex.join(str(a) for a in data.get("pytest_args", [])),
        participants=people,
        signoff_rows=people + blanks,
    )


def _counts(name: str, data: dict[str, Any]) -> CountView:
    return CountView(
        name=name,
        total=int(data.get("total", 0)),
        passed=int(data.get("passed", 0)),
        failed=int(data.get("failed", 0)),
        error=int(data.get("error", 0)),
        skipped=int(data.get("skipped", 0)),
    )


def _aggregate(name: str, data: dict[str, Any]) -> AggregateView:
    measured, missing = int(data.get("measured", 0)), int(data.get("not_measured", 0))
    return AggregateView(
        name=metric_title(name),
        measured=f"{measured} of {measured + missing}",
        mean=fmt.seconds(data.get("mean")),
        min=fmt.seconds(data.get("min")),
        max=fmt.seconds(data.get("max")),
    )


def _drill(number: int, data: dict[str, Any]) -> DrillView:
    failure = data.get("failure")
    failing_action = failure.get("action") if isinstance(failure, dict) else None
    metrics = data.get("metrics", {})
    anchor = f"drill-{number}"
    return DrillView(
        number=number,
        anchor=anchor,
        id=str(data.get("drill_id", "")),
        title=str(data.get("title", "")),
        runbook=str(data.get("runbook_id", "")),
        severity=str(data.get("severity", "")),
        badge=Badge.of(data.get("outcome")),
        tags=[str(t) for t in data.get("tags", [])],
        duration=fmt.seconds(data.get("duration")),
        started=fmt.instant(data.get("started_at")),
        ended=fmt.instant(data.get("ended_at")),
        drill_file=str(data.get("drill_file", "")),
        runbook_file=str(data.get("runbook_file", "")),
        metrics=[_metric(name, metrics.get(name)) for name in metric_names([data])],
        phases=[_phase(p, failing_action) for p in data.get("phases", [])],
        timeline=[_event(data.get("started_at"), e) for e in data.get("timeline", [])],
        failure=_failure(failure) if isinstance(failure, dict) else None,
        services=[_service(s) for s in data.get("services", [])],
        figures=[fmt.brief_seconds(metrics.get(name)) for name in STANDARD_METRICS],
        setup=_setup(data.get("timings")),
        providers=[str(p) for p in data.get("providers") or []],
        incident=incident_view(data.get("incident")),
        detection=detection_view(data.get("detection")),
        traffic=traffic_view(data.get("traffic")),
        chart=timeline_chart(data, anchor),
        moments=key_moments(data),
    )


def _metric(name: str, value: Any) -> MetricView:
    return MetricView(metric_title(name), fmt.seconds(value), METRIC_BASIS.get(name, ""))


def _setup(timings: Any) -> str:
    """'Set up in 4.42 s, torn down in 3.06 s'; '' when the drill recorded no timings."""
    if not isinstance(timings, dict):
        return ""
    order = [*TIMING_WORDS, *sorted(set(timings) - set(TIMING_WORDS))]
    parts = [
        f"{TIMING_WORDS.get(name, str(name).replace('_', ' '))} {fmt.seconds(timings[name])}"
        for name in order
        if name in timings
    ]
    text = ", ".join(parts)
    return text[:1].upper() + text[1:]


def _phase(data: dict[str, Any], failing_action: Any) -> PhaseView:
    return PhaseView(
        name=str(data.get("name", "")),
        badge=Badge.of(data.get("outcome")),
        duration=fmt.seconds(data.get("duration")),
        message=str(data.get("message", "")),
        actions=[_action(a, failing=a == failing_action) for a in data.get("actions", [])],
    )


def _action(data: dict[str, Any], *, failing: bool) -> ActionView:
    where = str(data.get("file") or "")
    if where and data.get("line"):
        where = f"{where}:{data['line']}"
    outputs = [
        OutputView(name, tail.text, tail.note)
        for name in ("stdout", "stderr")
        if (text := str(data.get(name) or ""))
        for tail in [fmt.Tail.of(text)]
    ]
    return ActionView(
        label=str(data.get("label", "")),
        kind=str(data.get("kind", "")),
        role=str(data.get("role", "")),
        where=where,
        shown=str(data.get("shown", "")),
        badge=Badge.of(data.get("outcome")),
        exit_code=fmt.number(data.get("exit_code")),
        status_code=fmt.number(data.get("status_code")),
        duration=fmt.seconds(data.get("duration")),
        attempts=str(data.get("attempts", 1)),
        message=str(data.get("message", "")),
        mismatches=[_mismatch(m) for m in data.get("mismatches", [])],
        outputs=outputs,
        failing=failing,
    )


def _mismatch(data: dict[str, Any]) -> MismatchView:
    return MismatchView(
        str(data.get("what", "")), str(data.get("expected", "")), str(data.get("actual", ""))
    )


def _event(start: Any, data: dict[str, Any]) -> EventView:
    return EventView(
        time=fmt.instant(data.get("at")),
        offset=fmt.offset_from(start, data.get("at")),
        kind=str(data.get("kind", "")),
        message=str(data.get("message", "")),
    )


def _failure(data: dict[str, Any]) -> FailureView:
    action = data.get("action")
    return FailureView(
        phase=str(data.get("phase", "")),
        summary=str(data.get("summary", "")),
        action=_action(action, failing=True) if isinstance(action, dict) else None,
        faults_active=[str(f) for f in data.get("faults_active", [])],
    )


def _service(data: dict[str, Any]) -> str:
    return ", ".join(f"{key}: {value}" for key, value in data.items())
