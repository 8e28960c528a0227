"""The versioned JSON drill report: the session, a summary, and every drill as recorded."""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Sequence
from statistics import fmean
from typing import Any

from drillbook.drill.result import DrillOutcome
from drillbook.report.model import REPORT_SCHEMA_VERSION, SessionInfo

# The incident metrics every drill reports (None when not measured), in reading order.
STANDARD_METRICS = ("time_to_detect", "time_to_acknowledge", "time_to_mitigate", "time_to_resolve")
# What each standard metric measures, from which moment to which.
METRIC_BASIS = {
    "time_to_detect": "fault injected → incident detected",
    "time_to_acknowledge": "incident detected → acknowledged",
    "time_to_mitigate": "fault injected → mitigation verified",
    "time_to_resolve": "fault injected → incident resolved",
}
OUTCOMES = tuple(o.value for o in DrillOutcome)


def build_report(session: SessionInfo, drills: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The report document (plain JSON data) for ``drills`` (``DrillResult.to_dict()`` dicts).

    Drills keep the given order; each gets every standard metric, None where not measured
    (a metric that is not a finite number counts as not measured: JSON has no NaN).
    """
    copied = [_with_standard_metrics(copy.deepcopy(dict(drill))) for drill in drills]
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "session": session.to_dict(),
        "summary": summarize(copied),
        "drills": copied,
    }


def summarize(drills: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Counts by outcome, the same per severity, and aggregates of every metric."""
    outcomes_by_severity: dict[str, list[str]] = {}
    for drill in drills:
        severity = str(drill.get("severity") or "unknown")
        outcomes_by_severity.setdefault(severity, []).append(drill["outcome"])
    return {
        **_count(drill["outcome"] for drill in drills),
        "by_severity": {sev: _count(o) for sev, o in sorted(outcomes_by_severity.items())},
        "metrics": {name: _aggregate(drills, name) for name in metric_names(drills)},
    }


def metric_names(drills: Iterable[dict[str, Any]]) -> list[str]:
    """The standard metrics first, then any others the drills recorded, alphabetically."""
    extra = {name for drill in drills for name in drill.get("metrics", {})}
    return [*STANDARD_METRICS, *sorted(extra - set(STANDARD_METRICS))]


def _with_standard_metrics(drill: dict[str, Any]) -> dict[str, Any]:
    metrics = {name: _finite(value) for name, value in (drill.get("metrics") or {}).items()}
    drill["metrics"] = {name: metrics.pop(name, None) for name in STANDARD_METRICS} | metrics
    return drill


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return value


def _count(outcomes: Iterable[str]) -> dict[str, int]:
    listed = list(outcomes)
    return {"total": len(listed), **{o: listed.count(o) for o in OUTCOMES}}


def _aggregate(drills: Sequence[dict[str, Any]], name: str) -> dict[str, Any]:
    values = [
        float(value)
        for drill in drills
        if (value := _finite(drill.get("metrics", {}).get(name))) is not None
    ]
    return {
        "measured": len(values),
        "not_measured": len(drills) - len(values),
        "mean": round(fmean(values), 6) if values else None,
        "min": min(values) if values else None,
        "max": max(values) if values else None,
    }
