"""A drill as JUnit XML properties, so CI dashboards can chart outcomes and metrics."""

from __future__ import annotations

from drillbook.drill.result import DrillResult
from drillbook.report.json_report import metric_names

NOT_MEASURED = "not measured"


def seconds_text(value: float | None) -> str:
    """Seconds as JUnit property text: '4.2', rounded to milliseconds; 'not measured' for None."""
    return NOT_MEASURED if value is None else str(round(float(value), 3))


def junit_properties(result: DrillResult) -> list[tuple[str, str]]:
    """(name, value) pairs for ``record_property``: identity, outcome, each metric and phase.

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
    return properties
