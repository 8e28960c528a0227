"""A drill as JUnit XML properties, so CI dashboards can chart outcomes and metrics."""

from __future__ import annotations

import math
from typing import Any

from drillbook.drill.result import DrillResult
from drillbook.report.json_report import metric_names

NOT_MEASURED = "not measured"


def seconds_text(value: float | None) -> str:
    """Seconds as JUnit property text: '4.2', rounded to milliseconds; 'not measured' for None."""
    return NOT_MEASURED if value is None else str(round(float(value), 3))


def junit_properties(result: DrillResult) -> list[tuple[str, str]]:
    """(name, value) pairs for ``record_property``: identity, outcome, each metric and phase,
    then the detection, incident and traffic figures the drill recorded.

    The four standard metrics always appear ('not measured' when absent), then any others.
    """
    properties = [
        ("drill.id", result.drill_id),
        ("drill.runbook", result.runbook_id),
        ("drill.severity", result.severity),
        ("drill.outcome", result.outcome.value),
        ("drill.duration", seconds_text(result.duration)),
    ]
    if result.tags:
        properties.append(("drill.tags", ",".join(result.tags)))
    properties += [
        (f"drill.{name}", seconds_text(result.metrics.get(name)))
        for name in metric_names([{"metrics": result.metrics}])
    ]
    for phase in result.phases:
        properties.append((f"drill.phase.{phase.name}.outcome", phase.outcome.value))
        properties.append((f"drill.phase.{phase.name}.duration", seconds_text(phase.duration)))
    if result.failure is not None:
        properties.append(("drill.failure.phase", result.failure.phase))
        properties.append(("drill.failure.summary", result.failure.summary))
        if result.failure.action is not None:
            properties.append(("drill.failure.action", result.failure.action.label))
            if result.failure.action.where:
                properties.append(("drill.failure.where", result.failure.action.where))
    return properties + observed_properties(result)


def observed_properties(result: DrillResult) -> list[tuple[str, str]]:
    """The rule that fired and after how long, the incident's id and the traffic's figures,
    each only when the drill recorded it."""
    fired = _field(result.detection, "fired")
    latency = _field(result.traffic, "latency")
    candidates = [
        ("drill.detection.rule", _text(_field(fired, "rule"))),
        ("drill.detection.seconds", _seconds(_field(fired, "seconds_after_start"))),
        ("drill.incident.id", _text(_field(result.incident, "id"))),
        ("drill.traffic.requests", _count(_field(result.traffic, "requests"))),
        ("drill.traffic.error_ratio", _ratio(_field(result.traffic, "error_ratio"))),
        ("drill.traffic.p95", _seconds(_field(latency, "p95"))),
    ]
    return [(name, value) for name, value in candidates if value is not None]


def _field(record: Any, key: str) -> Any:
    return record.get(key) if isinstance(record, dict) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _count(value: Any) -> str | None:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _seconds(value: Any) -> str | None:
    number = _number(value)
    return None if number is None else seconds_text(number)


def _ratio(value: Any) -> str | None:
    """A fraction as JUnit text, to six places: '0.076923'."""
    number = _number(value)
    return None if number is None else str(round(number, 6))
