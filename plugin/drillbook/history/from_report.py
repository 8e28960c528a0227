"""Records from JSON: a drill session report (report/schema.json) gives drill runs and the
drills' incidents; a ``drillbook run`` timeline (interactive/timeline.py) gives one incident.

Bad content raises ``ReportFormatError`` naming what is wrong, never a KeyError or TypeError.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from drillbook.errors import DrillbookError
from drillbook.history.records import DrillRun, IncidentRecord, TimelineEntry

TIMELINE_FORMAT = "drillbook-incident-timeline/1"
_FAILURE_CHARS = 300


class ReportFormatError(DrillbookError):
    """A file that is not a drill report or incident timeline drillbook can read."""


def load_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``; ReportFormatError (with the reason) when it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ReportFormatError(f"cannot read it: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ReportFormatError("not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise ReportFormatError(
            f"not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    if not isinstance(data, dict):
        raise ReportFormatError("not a JSON object")
    return data


def kind_of(data: Mapping[str, Any]) -> str:
    """``"report"`` for a drill session report, ``"timeline"`` for an incident timeline."""
    if data.get("format") == TIMELINE_FORMAT:
        return "timeline"
    if "drills" in data and "session" in data:
        return "report"
    raise ReportFormatError(
        "neither a drill report (with 'session' and 'drills') nor an incident timeline "
        f"(with format {TIMELINE_FORMAT!r})"
    )


def drill_runs(report: Mapping[str, Any], source: str | None) -> list[DrillRun]:
    """One DrillRun per drill in a session report."""
    session = _mapping(report.get("session"), "session")
    run_id = _text(session, "run_id", "session")
    return [_drill_run(drill, run_id, source, where) for where, drill in _drills(report)]


def drill_incidents(report: Mapping[str, Any], source: str | None) -> list[IncidentRecord]:
    """The incidents the report's drills opened (source "drill")."""
    found: list[IncidentRecord] = []
    for where, drill in _drills(report):
        incident = drill.get("incident")
        if incident is not None:
            found.append(_drill_incident(drill, incident, source, f"{where}.incident"))
    return found


def run_incident(timeline: Mapping[str, Any], source: str | None) -> IncidentRecord:
    """The incident a ``drillbook run`` timeline records (source "run")."""
    runbook = _mapping(timeline.get("runbook"), "runbook")
    runbook_id = _text(runbook, "id", "runbook")
    opened = _moment(timeline, "started_at", "timeline")
    closed = _optional_moment(timeline, "ended_at", "timeline")
    status = _text(timeline, "status", "timeline")
    return IncidentRecord(
        incident_id=run_incident_id(runbook_id, opened),
        title=_optional_text(runbook, "title", "runbook") or runbook_id,
        severity=_optional_text(runbook, "severity", "runbook"),
        status=status,
        source="run",
        runbook_id=runbook_id,
        opened_at=opened,
        closed_at=closed,
        timeline=tuple(_run_entries(timeline, opened, closed, status)),
        report=source,
        related_postmortems=(),
    )


def run_incident_id(runbook_id: str, opened: datetime) -> str:
    """A stable id for a ``drillbook run`` incident, so importing it twice is harmless."""
    return f"RUN-{opened.astimezone(UTC):%Y%m%dT%H%M%S%fZ}-{runbook_id}"


def _drills(report: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    drills = report.get("drills")
    if not isinstance(drills, list):
        raise ReportFormatError("'drills' is not a list")
    for index, drill in enumerate(drills):
        yield f"drills[{index}]", _mapping(drill, f"drills[{index}]")


def _drill_run(drill: Mapping[str, Any], run_id: str, source: str | None, where: str) -> DrillRun:
    metrics = drill.get("metrics") or {}
    if not isinstance(metrics, Mapping):
        raise ReportFormatError(f"{where}.metrics is not an object")
    return DrillRun(
        run_id=run_id,
        drill_id=_text(drill, "drill_id", where),
        title=_optional_text(drill, "title", where) or _text(drill, "drill_id", where),
        runbook_id=_optional_text(drill, "runbook_id", where),
        severity=_optional_text(drill, "severity", where),
        outcome=_text(drill, "outcome", where),
        started_at=_moment(drill, "started_at", where),
        duration=_number(drill, "duration", where),
        time_to_detect=_number(metrics, "time_to_detect", f"{where}.metrics"),
        time_to_acknowledge=_number(metrics, "time_to_acknowledge", f"{where}.metrics"),
        time_to_mitigate=_number(metrics, "time_to_mitigate", f"{where}.metrics"),
        time_to_resolve=_number(metrics, "time_to_resolve", f"{where}.metrics"),
        failure=_failure_line(drill.get("failure"), where),
        report=source,
    )


def _failure_line(failure: Any, where: str) -> str | None:
    if failure is None:
        return None
    failure = _mapping(failure, f"{where}.failure")
    phase = _optional_text(failure, "phase", f"{where}.failure")
    summary = " ".join((_optional_text(failure, "summary", f"{where}.failure") or "").split())
    line = f"{phase}: {summary}" if phase else summary
    if len(line) > _FAILURE_CHARS:
        line = line[: _FAILURE_CHARS - 1] + "…"
    return line or None


def _drill_incident(
    drill: Mapping[str, Any], incident: Any, source: str | None, where: str
) -> IncidentRecord:
    incident = _mapping(incident, where)
    return IncidentRecord(
        incident_id=_text(incident, "id", where),
        title=_optional_text(incident, "title", where) or _text(drill, "title", where),
        severity=_optional_text(incident, "severity", where),
        status=_text(incident, "status", where),
        source="drill",
        runbook_id=_optional_text(incident, "runbook", where)
        or _optional_text(drill, "runbook_id", where),
        opened_at=_moment(incident, "detected_at", where),
        closed_at=_optional_moment(incident, "resolved_at", where),
        timeline=tuple(_entries(incident.get("timeline") or [], f"{where}.timeline")),
        report=source,
        related_postmortems=_related(incident.get("related_postmortems") or [], where),
    )


def _entries(events: Any, where: str) -> Iterator[TimelineEntry]:
    if not isinstance(events, list):
        raise ReportFormatError(f"{where} is not a list")
    for index, event in enumerate(events):
        at = f"{where}[{index}]"
        event = _mapping(event, at)
        yield TimelineEntry(
            at=_moment(event, "at", at),
            kind=_text(event, "kind", at),
            message=_optional_text(event, "message", at) or "",
        )


def _related(links: Any, where: str) -> tuple[str, ...]:
    if not isinstance(links, list):
        raise ReportFormatError(f"{where}.related_postmortems is not a list")
    found = []
    for index, link in enumerate(links):
        at = f"{where}.related_postmortems[{index}]"
        link = _mapping(link, at)
        line = link.get("line")
        path = _text(link, "path", at)
        found.append(f"{path}:{line}" if isinstance(line, int) else path)
    return tuple(found)


def _run_entries(
    timeline: Mapping[str, Any], opened: datetime, closed: datetime | None, status: str
) -> Iterator[TimelineEntry]:
    """Opened, each decided step, rollback and check, then how it ended; in time order."""
    operator = _optional_text(timeline, "operator", "timeline") or "someone"
    entries = [TimelineEntry(opened, "opened", f"runbook started by {operator}")]
    entries.extend(_step_entries(timeline.get("steps") or [], opened))
    entries.extend(_result_entries(timeline.get("rollbacks") or [], "rollback", opened))
    entries.extend(_result_entries(timeline.get("verification") or [], "check", opened))
    if closed is not None:
        entries.append(TimelineEntry(closed, status, f"run ended: {status}"))
    entries.sort(key=lambda entry: entry.at)
    yield from entries


def _step_entries(steps: Any, opened: datetime) -> Iterator[TimelineEntry]:
    if not isinstance(steps, list):
        raise ReportFormatError("'steps' is not a list")
    for index, step in enumerate(steps):
        where = f"steps[{index}]"
        step = _mapping(step, where)
        decision = _optional_text(step, "decision", where)
        if decision is None:
            continue
        result = step.get("result")
        outcome = _mapping(result, f"{where}.result").get("outcome") if result else None
        text = f"step {step.get('order')} {decision}: {step.get('description', '')}"
        if outcome:
            text += f" ({outcome})"
        at = _optional_moment(step, "decided_at", where) or opened
        yield TimelineEntry(at, "step", text)


def _result_entries(items: Any, kind: str, opened: datetime) -> Iterator[TimelineEntry]:
    if not isinstance(items, list):
        raise ReportFormatError(f"the {kind}s are not a list")
    for index, item in enumerate(items):
        where = f"{kind}s[{index}]"
        item = _mapping(item, where)
        result = _mapping(item.get("result", item), where)
        label = result.get("label") or result.get("shown") or kind
        at = _optional_moment(result, "started_at", where) or opened
        yield TimelineEntry(at, kind, f"{label} ({result.get('outcome', 'unknown')})")


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ReportFormatError(f"{where} is missing or not an object")
    return value


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ReportFormatError(f"{where}.{key} is missing or not a non-empty string")
    return value


def _optional_text(data: Mapping[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ReportFormatError(f"{where}.{key} is not a string")
    return value


def _number(data: Mapping[str, Any], key: str, where: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ReportFormatError(f"{where}.{key} is not a number")
    return float(value)


def _moment(data: Mapping[str, Any], key: str, where: str) -> datetime:
    moment = _optional_moment(data, key, where)
    if moment is None:
        raise ReportFormatError(f"{where}.{key} is missing")
    return moment


def _optional_moment(data: Mapping[str, Any], key: str, where: str) -> datetime | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ReportFormatError(f"{where}.{key} is not a date-time string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ReportFormatError(f"{where}.{key} is not an ISO 8601 date-time: {value!r}") from None
    if moment.tzinfo is None:
        raise ReportFormatError(f"{where}.{key} has no time zone: {value!r}")
    return moment.astimezone(UTC)
